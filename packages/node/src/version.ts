/** The version of @cairn/node, recorded in bundle provenance. */
export const VERSION = '0.1.0';
