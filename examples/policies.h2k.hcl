# Target-state policies. A VM names one; "linux" refines "base".

policy "base" {
  output_format = "qcow2"
  output_dir    = "${local.out_root}/${local.team}"
  boot_test     = true
  boot_timeout  = 600
}

policy "linux" {
  extends             = policy.base
  fstab_mode          = "uuid"
  network             = "preserve" # rebind to the KVM NICs, static stays static ("dhcp": all by DHCP)
  remove_vmware_tools = true
  initramfs_drivers   = ["virtio_blk", "virtio_net", "virtio_pci", "virtio_scsi"]
}
