// The ESM build of wgsl_reflect has no types of its own: its declarations are the package's.
// (The bare package resolves to a CommonJS build that breaks under ESM, so we import the module file.)
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
