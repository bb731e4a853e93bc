# A Debian 12 guest exported from VMware as a monolithicSparse VMDK, converted to qcow2 for KVM.

source "local" "demo" {
  directory = var.guest_dir
}

vm "debian" {
  source = source.local.demo
  disks  = ["debian-vmware-sparse.vmdk"]
  policy = policy.linux
  cpus   = 2
  memory = 1024
  nics   = [{ mac = "00:50:56:8a:12:34", network = "default" }]
}
