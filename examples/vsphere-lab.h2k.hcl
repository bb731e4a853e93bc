# VMs selected by name from a vCenter (the demo uses vcsim), one vm instance per map entry.

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
