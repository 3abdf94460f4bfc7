/** Where the shared CIFAR-10 sample is: $AELAB_CIFAR, else ../shared/data/cifar10. */
export declare const CIFAR10_DIRECTORY: string;
