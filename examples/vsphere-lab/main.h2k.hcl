# VMs selected by name from a vCenter (vcsim in tests), one vm instance per map entry.

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
}

policy "linux" {
  output_dir = "${local.out_root}/lab"
}

source "vsphere" "lab" {
  url        = var.vcenter_url
  username   = "administrator@vsphere.local"
  password   = var.vcenter_password
  insecure   = true
  datacenter = "DC0"
}

vm "lab" {
  for_each  = var.lab_vms
  source    = source.vsphere.lab
  name      = each.key
  policy    = policy.linux
  cpus      = each.value.cpus
  memory    = each.value.memory
  overrides = {
    output_dir = format("%s/lab/%s", local.out_root, lower(each.key))
  }
}
