// The notebook's convolutional autoencoder (part 1):
//   encoder: Conv(8)-MaxPool-Conv(12)-MaxPool-Conv(16)
//   decoder: UpSample-Conv(12)-UpSample-Conv(channels)
// 3x3 kernels, `same` padding, ReLU after every hidden conv (fused into the conv kernels, as
// Keras' Conv2D(activation='relu')) and a sigmoid on the output, whose values are
// probabilities for the binary cross-entropy against pixels in [0, 1].
import { Conv2d, MaxPool2d, Sigmoid, Upsample2d, type ModuleBackend } from '../nn/modules.ts';
import { Autoencoder, Sequential } from '../nn/sequential.ts';
import type { TapeTensor } from '../nn/autograd.ts';
import { Random } from '../random.ts';

/** Part 1's model: Conv(8)-Pool-Conv(12)-Pool-Conv(16) | Up-Conv(12)-Up-Conv(channels)-sigmoid, 3x3 'same' convs with ReLU, weights from `seed`. */
export function notebookAutoencoder<T extends TapeTensor<T>>(
  backend: ModuleBackend<T>,
  seed: number,
  channels = 3,
): Autoencoder<T> {
  const random = new Random(seed);
  const conv = (inChannels: number, outChannels: number, activation: 'relu' | 'linear') =>
    new Conv2d(backend, { inChannels, outChannels, kernelSize: 3, padding: 'same', activation, random });
  return new Autoencoder<T>(
    new Sequential<T>([
      conv(channels, 8, 'relu'),
      new MaxPool2d(2),
      conv(8, 12, 'relu'),
      new MaxPool2d(2),
      conv(12, 16, 'relu'),
    ]),
    new Sequential<T>([
      new Upsample2d(2),
      conv(16, 12, 'relu'),
      new Upsample2d(2),
      conv(12, channels, 'linear'),
      new Sigmoid(),
    ]),
  );
}
