// Where the tests and benchmarks find the shared CIFAR-10 sample (the official binary layout):
// $AELAB_CIFAR, else ../shared/data/cifar10 beside the checkout.
export const CIFAR10_DIRECTORY = process.env['AELAB_CIFAR'] ?? '../shared/data/cifar10';
