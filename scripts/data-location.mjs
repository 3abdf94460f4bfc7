// Where the tests, benchmarks and browser scripts find the shared CIFAR-10 sample (the official
// binary layout): $AELAB_CIFAR, else ../shared/data/cifar10 beside the checkout. The one place
// that path is written.
export const CIFAR10_DIRECTORY = process.env['AELAB_CIFAR'] ?? '../shared/data/cifar10';
