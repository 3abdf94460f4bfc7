// aelab for Node (and Deno): everything in the library entry, plus what reads and writes the
// user's files: the data loaders, the CIFAR-10 download, the per-adapter tuning cache, and Keras
// import (its HDF5 reader, h5wasm, is kept out of the browser's bundle).
export * from './index.ts';
export { loadCifar10 } from './data/cifar10.ts';
export { ensureCifar10 } from './data/download.ts';
export { loadFashionMnist } from './data/fashion-mnist.ts';
export { loadPngFolder, loadPngFiles } from './data/png-folder.ts';
export { runColourise, type ColouriseConfig } from './experiments/colourise/run.ts';
export { loadTuning, saveTuning, tuneWithCache, tuningFilePath } from './tuning/cache.ts';
export { defaultCacheDirectory, writeFileAtomic } from './files.ts';
export { saveWeightsFile, loadWeightsFile } from './experiments/run-directory.ts';
export { importKeras, unzipKeras, KerasImportError, type KerasFiles, type ImportedKeras } from './nn/keras.ts';
