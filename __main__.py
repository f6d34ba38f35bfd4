"""keyvault-csi program: one environment per stack (``stacks/Pulumi.<stack>.yaml``)."""

from keyvault_csi.program import from_stack_config

from_stack_config()  # every settings problem at once, before any resource
