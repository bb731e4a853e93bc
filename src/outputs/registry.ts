// Every output, by the name a policy's `outputs` list uses (src/model/outputs.ts).
import type { OutputName } from '../model/outputs.js';
import { kubevirt } from './kubevirt/index.js';
import { libvirt } from './libvirt/index.js';
import type { KvmOutput } from './output.js';

export const OUTPUTS: Record<OutputName, KvmOutput> = { libvirt, kubevirt };
