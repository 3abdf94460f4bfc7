// Node's WebGPU: Dawn, through the `webgpu` package. The object create() returns must stay
// referenced for the life of the process: if it is collected, a pending mapAsync kills the
// process. Holding it at module scope guarantees that.
import { create } from 'webgpu';

export const gpu: GPU = create([]);
