// A GEMM helper thread of the threads build (gan-simd-threads.wasm): started
// by web/runtime/thread-pool.js, as a module Web Worker in browsers and a
// worker_threads Worker under Node. It receives the compiled module, the
// shared memory, its index and the top of a stack the training thread
// allocated for it; instantiates the module on that memory (the start
// function sees the data segments already initialised and skips them); moves
// its stack pointer there; says 'started'; and calls gan_thread_main(index),
// which runs its parts of the GEMMs (src/threads.c) and never returns.
// Helpers never call malloc, never grow memory and never call an import (so
// every import here throws); ending them is worker.terminate().

import { connectToParent } from './loading.js';

function start({ module, memory, index, stackTop }, post) {
  try {
    const imports = {};
    for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
      imports[moduleName] ??= {};
      if (kind === 'memory') imports[moduleName][name] = memory;
      else if (kind === 'function') {
        imports[moduleName][name] = () => { throw new Error(`gemm thread ${index}: wasm import ${moduleName}.${name} called`); };
      }
    }
    const { exports } = new WebAssembly.Instance(module, imports);
    if (!stackTop) throw new Error(`gemm thread ${index}: no stack`);
    exports.stackRestore(stackTop); // __stack_pointer of this instance only
    post({ type: 'started', index });
    exports.gan_thread_main(index);
    throw new Error(`gemm thread ${index}: gan_thread_main returned (not a threads build?)`);
  } catch (error) {
    post({ type: 'error', index, message: error?.message ?? String(error) });
  }
}

const post = connectToParent((message) => start(message, post));
