# VMs from a vCenter (vcsim in the demo and tests): one selected by name, a map of them with
# for_each, and a whole folder by discovery.

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
  output_dir      = "${local.out_root}/lab"
  allow_power_off = true
}

source "vsphere" "lab" {
  url        = var.vcenter_url
  username   = "administrator@vsphere.local"
  password   = var.vcenter_password
  insecure   = true
  datacenter = "DC0"
}

# The demo guest: `npm run demo` uploads it to vcsim as the VM "debian".
vm "debian" {
  source = source.vsphere.lab
  name   = "debian"
  policy = policy.linux
}

# Every VM of the cluster, one instance per VM (vm.cluster["DC0_C0_RP0_VM0"], ...): survey them
# with `h2k plan -inspect=false`, then plan the ones you pick with -target.
vm "cluster" {
  source   = source.vsphere.lab
  policy   = policy.linux
  discover = { folder = "/DC0/vm", name = "DC0_C0_*" }
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
