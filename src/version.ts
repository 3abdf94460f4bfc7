/** The package's version (test/package.test.ts keeps it equal to package.json's). */
export const VERSION = '0.1.0';
