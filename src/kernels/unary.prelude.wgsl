// Shared by the unary elementwise ops (unary.ts): `forward` writes y = f(x), `backward` writes
// dL/dx = dL/dy * f'(x, y) from the saved input or output.
struct Params { count: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<storage, read> gradOutput: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;
