"""The public input shapes: :mod:`keyvault_csi.api.args`.

Generated from the input model by ``python -m tools.generate_args``.
"""
