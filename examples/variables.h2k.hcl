# Inputs of the example configuration. Set them with -var, -var-file or H2K_VAR_<name>.

variable "guest_dir" {
  type        = string
  description = "Directory holding the demo guest's VMDK files (npm run demo builds and fills it)"
  default     = "../.demo/guest"
}

variable "vcenter_url" {
  type        = string
  description = "vCenter or ESXi SDK endpoint; the demo starts vcsim and passes its URL"
  default     = "https://127.0.0.1:8989/sdk"
}

variable "vcenter_password" {
  type        = string
  description = "Password for vcenter_user; never shown in plans, state or logs"
  sensitive   = true
  default     = null
}

variable "lab_vms" {
  type        = map(object({ cpus = number, memory = number }))
  description = "vSphere VMs to migrate, by name"
  default     = {
    DC0_H0_VM0 = { cpus = 1, memory = 1024 }
    DC0_H0_VM1 = { cpus = 2, memory = 2048 }
  }
}

locals {
  out_root = "./output"
  team     = "platform"
}
