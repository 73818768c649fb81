-- SQL expressions compared between pgwire and psycopg 3 by
-- tests/test_types_differential.py, one per line, each run as "SELECT <expr>".
-- Lines starting with "--" and blank lines are ignored.

-- integers and oid
0::int2
32767::int2
(-32768)::int2
0::int4
2147483647::int4
(-2147483648)::int4
9223372036854775807::int8
(-9223372036854775808)::int8
-1::int8
0::oid
4294967295::oid
1
12345678901234567890

-- numeric
0::numeric
1.500::numeric
-0.000::numeric
1.5::numeric(10,3)
'NaN'::numeric
'Infinity'::numeric
'-Infinity'::numeric
-123456789.123456789::numeric
0.00000000000000000001::numeric
'1e-20'::numeric
'1e20'::numeric
123456789012345678901234567890123456789.987654321::numeric
12345678901234567890123456789012345678901234567890::numeric
'1e1000'::numeric
'-1e-1000'::numeric
('0.' || repeat('0', 16382) || '1')::numeric
repeat('9', 1000)::numeric
9999.9999::numeric
10000::numeric
0.0001::numeric
1.5
1e400

-- floating point
0.1::float4
'-0'::float4
'NaN'::float4
'Infinity'::float4
'-Infinity'::float4
1e-45::float4
1.17549435e-38::float4
3.4028235e38::float4
16777217::float4
1.0000001::float4
3.14159::float4
123456789::float4
0.1::float8
'-0'::float8
'NaN'::float8
'Infinity'::float8
'-Infinity'::float8
5e-324::float8
2.2250738585072014e-308::float8
1.7976931348623157e308::float8
1e23::float8
0.30000000000000004::float8
(0.1::float8 + 0.2::float8)
1e15::float8
123456789012345680000::float8

-- bool
true
false

-- text types
'hello'::text
''::text
'héllo wörld 日本語 🎉'::text
'a''b"c'::text
E'tab\there\nnew line\r'::text
E'back\\slash'::text
' padded  '::text
'NULL'::text
'abc'::varchar(10)
''::varchar
'abc'::char(5)
'日本'::char(4)
''::bpchar
'x'::"char"
''::"char"
'é'::"char"
'pg_class'::name
repeat('n', 70)::name
'abc'
U&'\00e9\+01F600'::text

-- bytea
'\x'::bytea
'\x00ff7f80'::bytea
'abc'::bytea
E'\\000\\001\\377'::bytea
decode(repeat('00ff', 5000), 'hex')
'\\'::bytea

-- date
'2000-01-01'::date
'1970-01-01'::date
'2000-02-29'::date
'0001-01-01'::date
'9999-12-31'::date
'10000-01-01'::date
'0001-12-31 BC'::date
'4713-01-01 BC'::date
'5874897-12-31'::date
'infinity'::date
'-infinity'::date

-- time and timetz
'00:00:00'::time
'23:59:59.999999'::time
'12:34:56.789'::time
'24:00:00'::time
'00:00:00.000001'::time
'23:59:60'::time
'12:34:56+05:30'::timetz
'00:00:00+00'::timetz
'23:59:59.999999+14'::timetz
'00:00:00-15:59'::timetz
'12:00:00+15:59'::timetz
'12:00:00-03:30:15'::timetz
'24:00:00+00'::timetz
'12:00:00 America/New_York'::timetz

-- timestamp
'2000-01-01 00:00:00'::timestamp
'1970-01-01 00:00:00'::timestamp
'2016-12-31 23:59:59.999999'::timestamp
'2016-12-31 23:59:60'::timestamp
'0001-01-01 00:00:00'::timestamp
'9999-12-31 23:59:59.999999'::timestamp
'10000-01-01 00:00:00'::timestamp
'0001-12-31 23:59:59 BC'::timestamp
'2021-03-14 02:30:00'::timestamp
'1900-01-01 12:00:00.5'::timestamp
'infinity'::timestamp
'-infinity'::timestamp
'294276-12-31 23:59:59.999999'::timestamp

-- timestamptz (the session TimeZone decides how they read)
'2000-01-01 00:00:00+00'::timestamptz
'1970-01-01 00:00:00+00'::timestamptz
'2021-03-14 06:59:59.999999+00'::timestamptz
'2021-03-14 07:00:00+00'::timestamptz
'2021-11-07 05:30:00+00'::timestamptz
'2021-11-07 06:00:00+00'::timestamptz
'2021-11-07 06:30:00+00'::timestamptz
'2021-11-07 01:30:00 America/New_York'::timestamptz
'2021-03-14 02:30:00 America/New_York'::timestamptz
'2016-12-31 23:59:59.999999+00'::timestamptz
'2016-12-31 23:59:60+00'::timestamptz
'1800-01-01 00:00:00+00'::timestamptz
'1883-11-18 17:00:00+00'::timestamptz
'1941-10-01 00:00:00+00'::timestamptz
'2100-07-01 12:00:00+00'::timestamptz
'3000-01-01 00:00:00+00'::timestamptz
'0001-01-01 00:00:00+00'::timestamptz
'0001-01-02 00:00:00+00'::timestamptz
'9999-12-31 12:00:00+00'::timestamptz
'9999-12-31 23:59:59.999999+00'::timestamptz
'10000-01-01 00:00:00+00'::timestamptz
'0100-01-01 00:00:00+00 BC'::timestamptz
'2000-01-01 00:00:00+05:30:15'::timestamptz
'infinity'::timestamptz
'-infinity'::timestamptz
now() - now() + '2020-06-01 12:00+02'::timestamptz

-- interval
'0'::interval
'1 day'::interval
'-1 day'::interval
'1 mon'::interval
'1 year'::interval
'-1 year -2 mons'::interval
'1 year 2 mons 3 days 04:05:06.789'::interval
'-1 year 2 mons -3 days 04:05:06.789'::interval
'-00:00:00.000001'::interval
'1 day -1 second'::interval
'-1 day +1 second'::interval
'1000000 hours'::interval
'-1000000 hours'::interval
'2562047788:00:54.775807'::interval
'-2562047788:00:54.775808'::interval
'999999999 days'::interval
'1000000000 days'::interval
'-999999999 days'::interval
'-999999999 days -1 second'::interval
'178000000 years'::interval
'-178000000 years'::interval
'2147483647 days'::interval
'P1Y2M3DT4H5M6S'::interval
'1 week'::interval
'100 years'::interval
'23:59:59.999999'::interval
'1.5 months'::interval

-- uuid
'00000000-0000-0000-0000-000000000000'::uuid
'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid
'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid

-- json and jsonb
'{"a": [1, 2.5, null, true, false, "x"]}'::json
'{"a": [1, 2.5, null, true, false, "x"]}'::jsonb
'"\u00e9\ud83d\ude00 \"q\" \\ \/ \n"'::json
'"\u00e9\ud83d\ude00 \"q\" \\ \/ \n"'::jsonb
'[]'::json
'{}'::jsonb
'null'::json
'null'::jsonb
' 1 '::json
'1.0'::jsonb
'0.1'::jsonb
'-0'::jsonb
'1e400'::json
'1e400'::jsonb
'1e-400'::jsonb
'12345678901234567890'::jsonb
'{"b": 1, "a": 2, "aa": 3}'::jsonb
'{"b": 1, "a": 2, "aa": 3}'::json
'{"a": 1, "a": 2}'::json
'{"a": 1, "a": 2}'::jsonb
'{"a": {"b": {"c": [[1, [2, [3]]]]}}}'::jsonb
'"\u0000"'::json
'"日本語"'::jsonb
'true'::jsonb

-- inet and cidr
'192.168.0.1'::inet
'192.168.0.1/24'::inet
'10.0.0.1/32'::inet
'0.0.0.0/0'::inet
'::1'::inet
'2001:db8::1/64'::inet
'::ffff:1.2.3.4'::inet
'2001:db8::1/128'::inet
'192.168.0.0/24'::cidr
'10.0.0.1/32'::cidr
'0.0.0.0/0'::cidr
'2001:db8::/32'::cidr
'::/0'::cidr
'::1/128'::cidr

-- arrays
'{1,2,3}'::int2[]
'{1,NULL,-2147483648}'::int4[]
'{9223372036854775807}'::int8[]
'{1,2}'::oid[]
'{}'::int4[]
'{NULL}'::int4[]
'{NULL,NULL}'::text[]
'{{1,2},{3,4}}'::int4[]
'{{{1}},{{2}}}'::int4[]
'{{NULL,1},{2,NULL}}'::int8[]
'{{a,NULL},{"","b\\\\c"}}'::text[]
'{{1.5,NULL},{NaN,-0.5}}'::numeric[]
'{{"2000-01-01 00:00+00"},{NULL}}'::timestamptz[]
'{}'::uuid[]
'{"\\"","\\\\","a\\"b"}'::text[]
'[2:3]={1,2}'::int4[]
'[0:1][1:2]={{1,2},{3,4}}'::int4[]
'[-5:-5]={x}'::text[]
'{1.5,NaN,Infinity,-Infinity,0.000}'::numeric[]
'{0.1,-0,NaN,Infinity,1e-45}'::float4[]
'{0.1,-0,NaN,-Infinity,5e-324}'::float8[]
'{t,f,NULL}'::bool[]
'{"a,b","c\"d","NULL",NULL,"",x y,"back\\slash","{}"," s "}'::text[]
'{"日本",é}'::text[]
ARRAY['a', 'b']::varchar[]
'{ab,c}'::char(3)[]
'{a,b}'::"char"[]
'{"",é}'::"char"[]
'{pg_class}'::name[]
'{"\\x00ff",NULL,"\\x"}'::bytea[]
'{2000-01-01,1999-12-31}'::date[]
'{2000-01-01,infinity}'::date[]
'{12:00,23:59:59.999999}'::time[]
'{12:00+05:30,00:00-03}'::timetz[]
'{"2000-01-01 00:00","1970-01-01 12:34:56.5"}'::timestamp[]
'{"2000-01-01 00:00+00","2021-11-07 06:00:00+00"}'::timestamptz[]
'{infinity}'::timestamptz[]
'{"1 day","-1 mon 2 hours",NULL}'::interval[]
'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid[]
ARRAY['{"a": 1}'::json, '[1, "x"]', NULL]
ARRAY['{"b": 1, "a": 2}'::jsonb, 'null']
'{192.168.0.1,::1/64,NULL}'::inet[]
'{10.0.0.0/8}'::cidr[]
'{"[1,2)",empty}'::int4range[]
ARRAY['[2000-01-01,2000-02-01)'::daterange]
'{"(1,2)","(3.5,4)"}'::point[]
'{(1,2),(0,0);(3,4),(1,1)}'::box[]
'{1.50}'::money[]
'{"1 2"}'::int2vector[]
ARRAY[ARRAY[1,2],ARRAY[3,4]]
'{"1 day"}'::interval[]
'{}'::text[]
'{{}}'::int4[]

-- ranges
'[1,10)'::int4range
'(1,10]'::int4range
'empty'::int4range
'(,)'::int4range
'[1,)'::int4range
'(,5]'::int4range
'[-9223372036854775808,0)'::int8range
'(,)'::int8range
'empty'::int8range
'[1.5,2.5]'::numrange
'(,)'::numrange
'(0,)'::numrange
'empty'::numrange
'[-Infinity,Infinity]'::numrange
'[1.500,2.25000)'::numrange
'[2000-01-01,2000-02-01)'::daterange
'[2000-01-01,infinity)'::daterange
'(,2000-01-01]'::daterange
'empty'::daterange
'(,)'::daterange
'["2000-01-01 00:00","2000-01-02 00:00")'::tsrange
'["2000-01-01 00:00",)'::tsrange
'[-infinity,infinity]'::tsrange
'empty'::tsrange
'["2016-12-31 23:59:59.999999","2016-12-31 23:59:60"]'::tsrange
'["2021-11-07 05:30:00+00","2021-11-07 06:30:00+00")'::tstzrange
'(,"2000-01-01 00:00+00"]'::tstzrange
'[-infinity,"2000-01-01 00:00+00")'::tstzrange
'empty'::tstzrange

-- types without a loader: read as str
'(1,2)'::point
'$1.50'::money
'<a>x &amp; y</a>'::xml
'1 2'::int2vector
'1 2'::oidvector
'08:00:2b:01:02:03'::macaddr
'08:00:2b:01:02:03:04:05'::macaddr8
B'1010'
'101'::varbit
'a & b'::tsquery
'a b'::tsvector
'int4'::regtype
'pg_class'::regclass
'0/16B3748'::pg_lsn
'(0,1)'::tid
'1'::xid
'((0,0),1)'::circle
'[(0,0),(1,1)]'::lseg

-- NULLs
NULL
NULL::int4
NULL::text
NULL::int4[]
NULL::timestamptz
NULL::jsonb
