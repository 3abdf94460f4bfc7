// The notebook's convolutional autoencoder (part 1):
//   encoder: Conv(8)-MaxPool-Conv(12)-MaxPool-Conv(16)
//   decoder: UpSample-Conv(12)-UpSample-Conv(channels)
// 3x3 kernels, `same` padding, ReLU after every hidden conv and a sigmoid on the output,
// whose values are probabilities for the binary cross-entropy against pixels in [0, 1].
import { Autoencoder, Conv2d, MaxPool2d, ReLU, Sequential, Sigmoid, Upsample2d, type ModuleBackend } from '../nn/modules.ts';
import type { TapeTensor } from '../nn/autograd.ts';
import { Random } from '../random.ts';

export function notebookAutoencoder<T extends TapeTensor<T>>(backend: ModuleBackend<T>, seed: number, channels = 3): Autoencoder<T> {
  const random = new Random(seed);
  const conv = (inChannels: number, outChannels: number) => new Conv2d(backend, { inChannels, outChannels, kernelSize: 3, padding: 'same', random });
  return new Autoencoder<T>(
    new Sequential<T>([conv(channels, 8), new ReLU(), new MaxPool2d(2), conv(8, 12), new ReLU(), new MaxPool2d(2), conv(12, 16), new ReLU()]),
    new Sequential<T>([new Upsample2d(2), conv(16, 12), new ReLU(), new Upsample2d(2), conv(12, channels), new Sigmoid()]),
  );
}
