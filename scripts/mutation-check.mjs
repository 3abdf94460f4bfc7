// Breaks each backward kernel (and each reference backward) in turn, in one of the ways a
// real bug would (a flipped sign, a dropped term, a swapped index, a wrong tie rule), runs
// the test suite, and requires it to fail. Every file is restored afterwards.
//   node scripts/mutation-check.mjs            all mutations
//   node scripts/mutation-check.mjs conv2d     those whose name contains 'conv2d'
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const K = 'src/kernels/';
const mutations = [
  ['relu backward: tie rule at 0', K + 'relu.wgsl', 'input[index] > vec4f(0.0)', 'input[index] >= vec4f(0.0)'],
  ['relu backward: mask inverted', K + 'relu.wgsl', 'select(vec4f(0.0), gradOutput[index], input[index] > vec4f(0.0))', 'select(gradOutput[index], vec4f(0.0), input[index] > vec4f(0.0))'],
  ['sigmoid backward: sign flipped', K + 'sigmoid.wgsl', 'y * (1.0 - y)', 'y * (1.0 + y)'],
  ['tanh backward: term dropped', K + 'tanh.wgsl', 'gradOutput[index] * (1.0 - y * y)', 'gradOutput[index]'],
  ['conv2d input gradient: kx sign swapped', K + 'conv2d.wgsl', 'let oxScaled = i32(phaseX + x * STRIDE + params.padLeft) - i32(kx);', 'let oxScaled = i32(phaseX + x * STRIDE + params.padLeft) + i32(kx) - 2;'],
  ['conv2d input gradient: padding term dropped', K + 'conv2d.wgsl', 'let oyScaled = i32(iy + params.padTop) - i32(ky);', 'let oyScaled = i32(iy) - i32(ky);'],
  ["conv2d input gradient, stride > 1: the phase's first tap ignores the padding", K + 'conv2d.wgsl', 'let firstTapX = (phaseX + params.padLeft) % STRIDE;', 'let firstTapX = phaseX % STRIDE;'],
  ['conv2d upsampled weight gradient: a tap of each sum dropped', K + 'conv2d.wgsl', 'u < params.kernelHeight + f - 1u - ky; u++', 'u < params.kernelHeight + f - 2u - ky; u++'],
  ['conv2d upsampled bias gradient: first element of each plane dropped', K + 'conv2d.wgsl', 'for (var i = 0u; i < plane; i++) {', 'for (var i = 1u; i < plane; i++) {'],
  ["conv2d upsampled bias gradient, quads: each quad's last element dropped", K + 'conv2d.wgsl', 'total.x + total.y + total.z + total.w', 'total.x + total.y + total.z'],
  ['conv2d upsampled bias gradient, quads: every lane adds the first lane\'s quads', K + 'conv2d.wgsl', 'for (var quad = lane; quad < quadsPerPlane; quad += LANES)', 'for (var quad = 0u; quad < quadsPerPlane; quad += LANES)'],
  ['conv2d upsampled: the input gradient reads the unmasked gradient', K + 'conv2d.ts', 'bindings: { input: gradOutput, weight: upsampled, bias: upsampled, output: gradInput },', 'bindings: { input: gradY, weight: upsampled, bias: upsampled, output: gradInput },'],
  ['conv2d input gradient, all phases: the dL/dz window one row down', K + 'conv2d.wgsl', 'let oy = i32(i0 + a) + dLowY;', 'let oy = i32(i0 + a) + dLowY + 1;'],
  ["conv2d input gradient, all phases: a phase's tap column mirrored", K + 'conv2d.wgsl', 'let kx = i32(rx + PAD_LEFT) - i32(STRIDE) * (i32(dx) + dLowX);', 'let kx = i32(KERNEL_WIDTH) - 1 - (i32(rx + PAD_LEFT) - i32(STRIDE) * (i32(dx) + dLowX));'],
  ['conv2d input gradient: kernel taps transposed', K + 'conv2d.wgsl', '        }\n        let weights = tileWeights(weightOffsets, outputChannelWeights + ky * params.kernelWidth + kx);', '        }\n        let weights = tileWeights(weightOffsets, outputChannelWeights + (kx % params.kernelHeight) * params.kernelWidth + ky % params.kernelWidth);'],
  ['conv2d input gradient, row window: kernel taps transposed', K + 'conv2d.wgsl', 'if (ky < KERNEL_HEIGHT) {\n            let weights = tileWeights(weightOffsets, outputChannelWeights + ky * params.kernelWidth + kx);', 'if (ky < KERNEL_HEIGHT) {\n            let weights = tileWeights(weightOffsets, outputChannelWeights + (kx % params.kernelHeight) * params.kernelWidth + ky % params.kernelWidth);'],
  ['conv2d shared loads (weights and dL/dz): taken from the neighbouring lane', K + 'conv2d.wgsl', 'values[c] = shuffleFromLane(loaded[c / LANES], groupStart + c % LANES);', 'values[c] = shuffleFromLane(loaded[c / LANES], groupStart + (c + 1u) % LANES);'],
  ['conv2d weight gradient, lanes on channels: dL/dz taken one lane over', K + 'conv2d.wgsl', 'upstream = shareAcrossGroup(loaded, groupStart);', 'upstream = shareAcrossGroup(loaded, groupStart ^ 1u);'],
  ['conv2d weight gradient, lanes on channels: every other column skipped', K + 'conv2d.wgsl', 'ox += select(LANES, 1u, onChannels)', 'ox += select(LANES, 2u, onChannels)'],
  ['conv2d shared weights: every load of a lane takes the same channel', K + 'conv2d.wgsl', 'min(channel0 + k * LANES + lane, channels - 1u)', 'min(channel0 + lane, channels - 1u)'],
  ['conv2d weight gradient: sign flipped', K + 'conv2d.wgsl', 'sums[c * WINDOW_TAPS + t] += upstream[c] * window[t];', 'sums[c * WINDOW_TAPS + t] -= upstream[c] * window[t];'],
  ['conv2d weight gradient: last column dropped', K + 'conv2d.wgsl', 'ox < params.outWidth; ox += select(LANES, 1u, onChannels)) {', 'ox + 1u < params.outWidth; ox += select(LANES, 1u, onChannels)) {'],
  ['conv2d weight and bias gradients: first row of each split dropped', K + 'conv2d.wgsl', 'var oy = rowStart % params.outHeight;\n    for (var r = rowStart; r < rowEnd; r++) {', 'var oy = rowStart % params.outHeight;\n    for (var r = rowStart + 1u; r < rowEnd; r++) {'],
  ['conv2d weight gradient: the window does not slide', K + 'conv2d.wgsl', 'window[k * KERNEL_WIDTH + kx] = window[(k + STRIDE) * KERNEL_WIDTH + kx];', 'window[k * KERNEL_WIDTH + kx] = window[k * KERNEL_WIDTH + kx];'],
  ['conv2d weight gradient: the window is not refilled at a new image', K + 'conv2d.wgsl', 'refill = oy == params.outHeight;', 'refill = false;\n      if (oy == params.outHeight) {\n        oy = 0u;\n        n += 1u;\n      }'],
  ['conv2d bias gradient: each lane drops its first column', K + 'conv2d.wgsl', 'biasSums[c] += upstream[c];', 'biasSums[c] += select(upstream[c], 0.0, ox == lane);'],
  ['conv2d fused relu backward: the mask is skipped', K + 'conv2d.ts', "activationOf(attributes) === 'relu' ? relu.backward(", "activationOf(attributes) === 'never' ? relu.backward("],
  ['conv2d fused relu backward: the input gradient reads the unmasked gradient', K + 'conv2d.ts', 'bindings: { weight: weight!, gradOutput, bias: weight!, gradInput },', 'bindings: { weight: weight!, gradOutput: gradY, bias: weight!, gradInput },'],
  ['conv2d reference backward: relu mask dropped', K + 'conv2d.ts', 'relu ? gradY.data.map((upstream, i) => (output.data[i]! > 0 ? upstream : 0)) : gradY.data', 'gradY.data'],
  ["sum_rows_pair: the tail's columns summed one column early", K + 'sum.wgsl', 'outputTail[column - params.splitColumn] = columnSum(column);', 'outputTail[column - params.splitColumn] = columnSum(column - 1u);'],
  ['sum_rows: first split dropped', K + 'sum.wgsl', 'for (var row = 0u; row < rows; row++)', 'for (var row = 1u; row < rows; row++)'],
  ['mean backward: scale dropped', K + 'sum.wgsl', 'output[index] = input[0] * params.scale;', 'output[index] = input[0];'],
  ['maxPool2d backward: tie rule', K + 'max-pool2d.wgsl', 'if (!found || value > bestValue)', 'if (!found || value >= bestValue)'],
  ['maxPool2d backward: last window dropped', K + 'max-pool2d.wgsl', 'for (var oy = oyStart; oy <= oyEnd; oy++)', 'for (var oy = oyStart; oy < oyEnd; oy++)'],
  ['upsample2d backward: block column dropped', K + 'upsample2d.wgsl', 'for (var dx = 0u; dx < params.factor; dx++) {\n        total +=', 'for (var dx = 1u; dx < params.factor; dx++) {\n        total +='],
  ['maxPool2d window backward: routes to a non-maximum', K + 'max-pool2d.wgsl', 'select(0.0, upstream, position == best)', 'select(0.0, upstream, position != best)'],
  ['binaryCrossEntropy gradient: sign flipped', K + 'binary-cross-entropy.wgsl', 'g * (p - expected[index])', 'g * (expected[index] - p)'],
  ['binaryCrossEntropyFromLogits gradient: target sign', K + 'binary-cross-entropy-from-logits.wgsl', 'g * (probability - expected[index])', 'g * (probability + expected[index])'],
  ['meanSquaredError gradient: factor 2 dropped', K + 'mean-squared-error.wgsl', 'g * 2.0 * (prediction', 'g * (prediction'],
  ['meanAbsoluteError gradient: sign flipped', K + 'mean-absolute-error.wgsl', 'g * sign(prediction[index] - expected[index])', 'g * sign(expected[index] - prediction[index])'],
  ['binaryCrossEntropyFromLogits loss: each invocation strides by the launched grid, not its count', K + 'binary-cross-entropy-from-logits.wgsl', 'quad * params.invocations;\n    if (index < (params.count + 3u) / 4u) {\n      let x', 'quad * groups.x * 64u;\n    if (index < (params.count + 3u) / 4u) {\n      let x'],
  ['binaryAccuracy: each invocation keeps only its last quad', K + 'binary-accuracy.wgsl', 'total += sumBeforeCount(', 'total = sumBeforeCount('],
  ["meanSquaredError loss: the last quad's padding summed with its elements", K + 'mean-squared-error.wgsl', 'return dot(select(vec4f(0.0), values, inside), vec4f(1.0));', 'return dot(values, vec4f(1.0));'],
  ["scale: the last quad, partly past count, skipped", K + 'scale.wgsl', 'if (index < (params.count + 3u) / 4u) {', 'if (index < params.count / 4u) {'],
  ['accumulate: assigns instead of adding', K + 'add.wgsl', 'accumulator[index] = accumulator[index] + addend[index];', 'accumulator[index] = addend[index];'],
  ['subtract backward: right sign flipped', K + 'subtract.ts', "scaled(engine, gradOutput, -1, 'subtract gradient')", "scaled(engine, gradOutput, 1, 'subtract gradient')"],
  ['multiply backward: operands swapped', K + 'multiply.ts', "product(engine, gradOutput, right!, engine.empty(left!.shape", "product(engine, gradOutput, left!, engine.empty(left!.shape"],
  ['scale backward: factor dropped', K + 'scale.ts', "[scaled(engine, gradOutput, attributes.factor, 'scale gradient')]", "[scaled(engine, gradOutput, 1, 'scale gradient')]"],
  ['sgd update: momentum sign', K + 'sgd.wgsl', 'params.momentum * velocity[index] - params.learningRate', 'params.momentum * velocity[index] + params.learningRate'],
  ['rmsprop update: epsilon outside the root', K + 'rmsprop.wgsl', 'sqrt(s + params.epsilon)', '(sqrt(s) + params.epsilon)'],
  ['adam update: bias of v', K + 'adam.wgsl', '(1.0 - params.beta2) * (g * g - secondMoment[index])', '(1.0 - params.beta2) * (g - secondMoment[index])'],
  ['conv2d reference backward: input gradient sign', K + 'conv2d.ts', 'gradRead[inputIndex] += weight!.data[weightIndex]! * upstream;', 'gradRead[inputIndex] -= weight!.data[weightIndex]! * upstream;'],
  ['maxPool2d reference backward: routes to the window start', K + 'max-pool2d.ts', 'gradInput[inputIndex] += gradOutput.data[outputIndex]!;', 'gradInput[inputIndex - (inputIndex % 2)] += gradOutput.data[outputIndex]!;'],
  ['maxPool2d with relu, reference backward: the mask dropped', K + 'max-pool2d.ts', 'if (!g.relu || input!.data[inputIndex]! > 0) gradInput', 'if (!g.relu || input!.data[inputIndex]! > -1) gradInput'],
  ['maxPool2d with relu backward: tie rule at 0', K + 'max-pool2d.wgsl', 'params.relu == 0u || windowMax.value > 0.0', 'params.relu == 0u || windowMax.value >= 0.0'],
  ['maxPool2d with relu, overlapping windows backward: the mask dropped', K + 'max-pool2d.wgsl', 'if (windowMax.position == position && passesGradient(windowMax)) {', 'if (windowMax.position == position) {'],
  ['maxPool2d with relu forward: the ReLU dropped', K + 'max-pool2d.wgsl', 'select(value, max(value, 0.0), params.relu == 1u)', 'value'],
  ["maxPool2d quad backward: the top row's gradients go to the other column of their window", K + 'max-pool2d.wgsl', 'best == vec4u(0u, 1u, 0u, 1u)', 'best == vec4u(1u, 0u, 1u, 0u)'],
  ['maxPool2d quad kernels: tie rule', K + 'max-pool2d.wgsl', 'var better = top.yw > value;', 'var better = top.yw >= value;'],
  ['maxPool2d quad backward with relu: tie rule at 0', K + 'max-pool2d.wgsl', '(windows.value > vec2f(0.0))', '(windows.value >= vec2f(0.0))'],
  ['maxPool2d quad forward with relu: the ReLU dropped', K + 'max-pool2d.wgsl', 'outputPairs[pair] = select(value, max(value, vec2f(0.0)), params.relu == 1u);', 'outputPairs[pair] = value;'],
  ["maxPool2d quad kernels: the bottom row read from the top row's own row", K + 'max-pool2d.wgsl', 'return pair + (pair / QUADS_PER_ROW) * QUADS_PER_ROW;', 'return pair;'],
  ["conv2d weight gradient: the sliding window shifts a repeated tap row past the kernel's last", K + 'conv2d.wgsl', 'if (refill || k + STRIDE >= TAP_ROWS || ky0 + k + STRIDE >= params.kernelHeight) {', 'if (refill || k + STRIDE >= TAP_ROWS) {'],
  ['conv2d forward, row window: each kernel row reads the window row below its own', K + 'conv2d.wgsl', 'window[(ty * STRIDE + ky) * TILE_X + j] * weights[c];', 'window[min(ty * STRIDE + ky + 1u, WINDOW_ROWS - 1u) * TILE_X + j] * weights[c];'],
  ['conv2d input gradient, row window: each tap row reads the window row of the tap before', K + 'conv2d.wgsl', 'window[(ty + TAPS_PER_PHASE - 1u - m) * TILE_X + j] * weights[c];', 'window[min(ty + TAPS_PER_PHASE - m, GRADIENT_WINDOW_ROWS - 1u) * TILE_X + j] * weights[c];'],
  ["conv2d input gradient, row window: a phase's tap past the kernel's last row is not skipped", K + 'conv2d.wgsl', 'if (ky < KERNEL_HEIGHT) {', 'if (ky < KERNEL_HEIGHT + 1u) {'],
  ['conv2d all-phases input gradient: a shared-block weight taken from the next lane', K + 'conv2d.wgsl', 'weightOffsets.groupStart + element % LANES)', 'weightOffsets.groupStart + (element + 1u) % LANES)'],
  ['optimiser, all parameters at once: runs while a parameter has no gradient this step (its last one, still in its home, applied again)', 'src/nn/optimisers.ts', 'this.parameters.every((_, i) => this.isGathered(i))', 'this.parameters.every((_, i) => this.isGathered(i) || !this.parameters[i]!.grad)'],
  ["engine: a view bound at its buffer's start", 'src/backend/engine.ts', '[resource.buffer, resource.byteOffset, BufferPool.roundedSize(resource.size * 4)]', '[resource.buffer, 0, BufferPool.roundedSize(resource.size * 4)]'],
  ['tape: a leaf that already has a gradient is offered its reserved home again', 'src/nn/autograd.ts', "needsGradient[j] && !input.node && input.grad === null && node.inputs.indexOf(input) === j", "needsGradient[j] && !input.node && node.inputs.indexOf(input) === j"],
  ['sigmoid reference derivative', K + 'sigmoid.ts', 'derivative: (_x, y) => y * (1 - y)', 'derivative: (_x, y) => y * (1 - y) * 1.001'],
];

/** The suites that exercise kernels (the command-line and resume suites add minutes, not coverage of kernels). */
const KERNEL_SUITES = ['test/ops.test.ts', 'test/tie-rules.test.ts', 'test/tuning.test.ts', 'test/autograd.test.ts', 'test/optimisers.test.ts', 'test/autoencoder-gradients.test.ts', 'test/training.test.ts'];

const filter = process.argv[2] ?? '';
const selected = mutations.filter(([name]) => name.includes(filter));
const survivors = [];
for (const [name, file, from, to] of selected) {
  const original = readFileSync(file, 'utf8');
  const occurrences = original.split(from).length - 1;
  if (occurrences !== 1) {
    console.error(`mutation '${name}': expected exactly one '${from}' in ${file}, found ${occurrences}`);
    process.exit(2);
  }
  writeFileSync(file, original.replace(from, to));
  try {
    spawnSync('node', ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
    const run = spawnSync('npx', ['vitest', 'run', '--reporter=dot', ...KERNEL_SUITES], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const failed = (run.stdout.match(/Tests\s+(\d+) failed/) ?? [])[1];
    if (run.status === 0) survivors.push(name);
    console.log(`${run.status === 0 ? 'SURVIVED' : 'caught  '}  ${name}${failed ? ` (${failed} tests failed)` : ''}`);
  } finally {
    writeFileSync(file, original);
  }
}
spawnSync('node', ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
console.log(`\n${selected.length - survivors.length} of ${selected.length} mutations caught`);
if (survivors.length > 0) {
  console.log(`survived: ${survivors.join('; ')}`);
  process.exit(1);
}
