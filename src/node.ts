// aelab for Node (and Deno): everything in the library entry, plus what reads and writes the
// user's files: the data loaders, the CIFAR-10 download, and the per-adapter tuning cache.
export * from './index.ts';
export { loadCifar10 } from './data/cifar10.ts';
export { ensureCifar10 } from './data/download.ts';
export { loadFashionMnist } from './data/fashion-mnist.ts';
export { loadPngFolder, loadPngFiles } from './data/png-folder.ts';
export { runColourise, type ColouriseConfig } from './experiments/colourise/run.ts';
export { loadTuning, saveTuning, tuneWithCache, tuningFilePath } from './tuning/cache.ts';
export { defaultCacheDirectory, writeFileAtomic } from './files.ts';
export { saveWeightsFile, loadWeightsFile } from './experiments/run-directory.ts';
