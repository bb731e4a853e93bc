// The outputs h2k can write for a converted VM besides its disks, by the name a policy's `outputs`
// list uses. Each has a module in src/outputs/<name>/ (src/outputs/registry.ts maps the names).
export const OUTPUT_NAMES = ['libvirt', 'kubevirt'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];
