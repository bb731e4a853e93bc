# Inputs of the example configuration. Set them with -var, -var-file or H2K_VAR_<name>.

variable "guest_dir" {
  type        = string
  description = "Directory holding the demo guest's VMDK files (npm run demo builds and fills it)"
  default     = "../.demo/guest"
}

locals {
  out_root = "./output"
  team     = "platform"
}
