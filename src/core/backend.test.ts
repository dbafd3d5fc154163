import { describe, expect, it } from 'vitest';
import { autoOrder, softwareAdapter } from './backend';

describe('backend choice', () => {
  it('recognises software adapters: SwiftShader as Dawn reports it, llvmpipe, any fallback adapter', () => {
    // What Dawn's SwiftShader adapter reports (vendor, architecture, device, description, isFallbackAdapter).
    const swiftshader = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true };
    expect(softwareAdapter(swiftshader)).toBe('SwiftShader driver 5.0.0, a fallback adapter');
    expect(softwareAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('llvmpipe (LLVM 15.0.6, 256 bits), a software renderer');
    expect(softwareAdapter({ vendor: 'x', isFallbackAdapter: true })).toBe('x, a fallback adapter');
  });

  it('takes real GPUs for GPUs', () => {
    expect(softwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', isFallbackAdapter: false })).toBeNull();
    expect(softwareAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBeNull();
    expect(softwareAdapter(null)).toBeNull();
  });

  it('tries wasm before WebGPU when WebGPU would run on software', () => {
    expect(autoOrder(null)).toEqual(['webgpu', 'wasm', 'cpu']);
    expect(autoOrder('SwiftShader driver 5.0.0, a fallback adapter')).toEqual(['wasm', 'webgpu', 'cpu']);
  });
});
