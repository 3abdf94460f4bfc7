// ONNX out: a trained model as an ONNX graph (opset 17), written with onnx-proto's protobuf
// classes. Each of our layers becomes the ONNX operator with the same semantics, as written,
// before any fusion: the engine's fusions (Sequential's Fusions) compute the same function, so
// ONNX Runtime and the engine agree to float32 rounding. Pads are explicit, computed for the
// image size the graph is exported for (Keras' 'same': the larger half after).
import * as onnxModule from 'onnx-proto';
import { AelabError } from '../errors.ts';
import { formatShape, sameShape, windowGeometry, type Shape } from '../shapes.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { Conv2d, MaxPool2d, ReLU, Scale, Sigmoid, Tanh, Upsample2d, type Module } from './modules.ts';
import { VERSION } from '../version.ts';

// onnx-proto is CommonJS: Node hands it over as the default export, a bundler as the namespace.
const { onnx } = ((onnxModule as { default?: typeof onnxModule }).default ?? onnxModule) as typeof onnxModule;

/** The opset the graph is written for: Resize's nearest modes as used here are those of opset 13 on. */
export const ONNX_OPSET = 17;

export class OnnxExportError extends AelabError {
  override name = 'OnnxExportError';
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTRIBUTE = { INT: 2, STRING: 3, INTS: 7 } as const;

type Attribute = ReturnType<typeof onnx.AttributeProto.create>;
const ints = (name: string, values: number[]): Attribute =>
  onnx.AttributeProto.create({ name, type: ATTRIBUTE.INTS, ints: values });
const text = (name: string, value: string): Attribute =>
  onnx.AttributeProto.create({ name, type: ATTRIBUTE.STRING, s: new TextEncoder().encode(value) });

function initializer(name: string, dims: readonly number[], values: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  });
}

function valueInfo(name: string, shape: Shape) {
  const dim = shape.map((side, i) => (i === 0 ? { dimParam: 'batch' } : { dimValue: side }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } });
}

/** Explicit ONNX pads [top, left, bottom, right] of a window op on `input` (NCHW). */
function pads(input: Shape, window: number, stride: number, padding: 'same' | 'valid', what: string): number[] {
  const { height, width } = windowGeometry(input[2]!, input[3]!, window, window, stride, padding, what);
  return [height.padBefore, width.padBefore, height.padAfter, width.padAfter];
}

/** What the graph says of itself. */
export interface OnnxOptions {
  /** The graph's name and doc string: what the model is. */
  readonly name: string;
  readonly description?: string;
}

/**
 * `model` as an ONNX file for images of `imageShape` ([channels, height, width]; the batch is
 * free). Only a chain of our layers is exported: a model with another path through it (U-Net
 * skips) or a layer ONNX is not given here is refused, naming it.
 */
export async function onnxModel(
  engine: Engine,
  model: Module<Tensor>,
  imageShape: Shape,
  options: OnnxOptions,
): Promise<Uint8Array> {
  const steps = model.trace([1, ...imageShape]);
  const nodes: ReturnType<typeof onnx.NodeProto.create>[] = [];
  const initializers: ReturnType<typeof onnx.TensorProto.create>[] = [];
  const weights: [string, Tensor][] = [];
  let value = 'image';
  let shape: Shape = [1, ...imageShape];
  const node = (opType: string, inputs: string[], name: string, attribute: Attribute[] = []) => {
    const output = `${name}.out`;
    nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], name, attribute }));
    value = output;
  };
  for (const { path, module, input, output } of steps) {
    const what = `layer ${path} (${module.describe()})`;
    if (!sameShape(input, shape))
      throw new OnnxExportError(
        `${what} takes ${formatShape(input)}, not the ${formatShape(shape)} before it: only a chain of layers is exported (not U-Net skips)`,
      );
    if (module instanceof Conv2d) {
      const { kernelSize, stride = 1, padding = 'same' } = module.options;
      if (padding !== 'same' && padding !== 'valid')
        throw new OnnxExportError(`${what}: explicit padding is not exported`);
      const inputs = [value, `${path}.weight`];
      weights.push([`${path}.weight`, module.weight]);
      if (module.bias) {
        inputs.push(`${path}.bias`);
        weights.push([`${path}.bias`, module.bias]);
      }
      node('Conv', inputs, path, [
        ints('kernel_shape', [kernelSize, kernelSize]),
        ints('strides', [stride, stride]),
        ints('pads', pads(input, kernelSize, stride, padding, what)),
        ints('dilations', [1, 1]),
        onnx.AttributeProto.create({ name: 'group', type: ATTRIBUTE.INT, i: 1 }),
      ]);
      if (module.activation === 'relu') node('Relu', [value], `${path}.relu`);
    } else if (module instanceof MaxPool2d) {
      const { poolSize } = module;
      node('MaxPool', [value], path, [
        ints('kernel_shape', [poolSize, poolSize]),
        ints('strides', [poolSize, poolSize]),
        ints('pads', pads(input, poolSize, poolSize, module.padding, what)),
      ]);
    } else if (module instanceof Upsample2d) {
      initializers.push(initializer(`${path}.scales`, [4], Float32Array.of(1, 1, module.factor, module.factor)));
      // Nearest neighbour, output pixel y reading input floor(y / factor): the engine's upsample.
      node('Resize', [value, '', `${path}.scales`], path, [
        text('mode', 'nearest'),
        text('coordinate_transformation_mode', 'asymmetric'),
        text('nearest_mode', 'floor'),
      ]);
    } else if (module instanceof Scale) {
      initializers.push(initializer(`${path}.factor`, [], Float32Array.of(module.factor)));
      node('Mul', [value, `${path}.factor`], path);
    } else if (module instanceof ReLU || module instanceof Sigmoid || module instanceof Tanh) {
      node(module instanceof ReLU ? 'Relu' : module instanceof Sigmoid ? 'Sigmoid' : 'Tanh', [value], path);
    } else {
      throw new OnnxExportError(`${what}: no ONNX operator is written for this layer`);
    }
    shape = output;
  }
  const values = await engine.readAll(weights.map(([, tensor]) => tensor));
  weights.forEach(([name, tensor], i) => initializers.push(initializer(name, tensor.shape, values[i]!)));
  // The last node's output is the graph's: renamed 'output'.
  const last = nodes.at(-1);
  if (!last) throw new OnnxExportError('the model has no layers to export');
  last.output = ['output'];
  const graph = onnx.GraphProto.create({
    name: options.name,
    docString: options.description ?? '',
    node: nodes,
    initializer: initializers,
    input: [valueInfo('image', [1, ...imageShape])],
    output: [valueInfo('output', shape)],
  });
  const file = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'aelab',
    producerVersion: VERSION,
    docString: options.description ?? options.name,
    graph,
  });
  return onnx.ModelProto.encode(file).finish();
}
