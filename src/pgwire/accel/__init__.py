"""The compiled accelerator: its C code, its stub, the choice of it, and its plans.

* :mod:`~pgwire.accel.selection` imports the compiled module ``_speedups``
  (built from ``_speedups.c``; described by ``_speedups.pyi``) and says
  whether it is used.
* :mod:`~pgwire.accel.decode_plans` tells the compiled row reader how to
  decode each result column; loaders declare their compiled decoder with
  :func:`~pgwire.accel.decode_plans.decoded_in_c`.
* :mod:`~pgwire.accel.encode_plans` tells the compiled Bind and COPY
  encoders how to write each value; dumpers declare theirs with
  :func:`~pgwire.accel.encode_plans.encoded_in_c` and its siblings.

This room imports only the standard library and :mod:`pgwire.errors`: what
the compiled code needs from the adapters is declared or handed over by
:mod:`pgwire.types` itself.
"""
