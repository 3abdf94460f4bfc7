// WebGPU's usage flags are fixed by the specification. They are spelled out here so the
// engine never reads `GPUBufferUsage` from globals, which Node's Dawn binding only
// installs on request.
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MapMode = { READ: 0x0001 } as const;

export const ShaderStage = { COMPUTE: 0x4 } as const;
