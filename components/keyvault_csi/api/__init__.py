"""The public input shapes: :mod:`keyvault_csi.api.args`, generated from the input model (``python -m tools.generate_args``)."""
