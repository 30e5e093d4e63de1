// Host emulator of the CUDA C the backend's kernels are written in (tests only; docs/ARCHITECTURE.md, "The CUDA
// backend"). The same sources NVRTC compiles for the GPU are compiled here by g++ as C++20 behind this header, plus one
// generated `extern "C" void <kernel>__launch(void** args, int grid, int block)` per kernel that unpacks cuLaunchKernel's
// argument array into the kernel's parameter types. A launch runs every block in turn; the threads of a block run one
// after the other, or, in a module that calls __syncthreads, as real threads meeting at a std::barrier. Shared memory is
// a function-local static (one block runs at a time), atomics are std::atomic_ref, the math functions are <cmath>'s.
#include <atomic>
#include <barrier>
#include <bit>
#include <cmath>
#include <math.h>
#include <cstddef>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

struct bp_emu_dim3 { unsigned int x, y, z; };
static thread_local bp_emu_dim3 threadIdx, blockIdx;
static bp_emu_dim3 blockDim, gridDim;
static std::barrier<>* bp_emu_barrier = nullptr;

inline void __syncthreads() { if (bp_emu_barrier) bp_emu_barrier->arrive_and_wait(); }
template <class V> inline V atomicAdd(V* p, V v) { return std::atomic_ref<V>(*p).fetch_add(v); }
template <class V> inline V atomicExch(V* p, V v) { return std::atomic_ref<V>(*p).exchange(v); }
template <class V> inline V atomicMin(V* p, V v) {
    std::atomic_ref<V> r(*p); V old = r.load();
    while (v < old && !r.compare_exchange_weak(old, v)) {}
    return old;
}
inline double __longlong_as_double(long long v) { return std::bit_cast<double>(v); }
template <class V> inline V atomicMax(V* p, V v) {
    std::atomic_ref<V> r(*p); V old = r.load();
    while (old < v && !r.compare_exchange_weak(old, v)) {}
    return old;
}

template <class... P, std::size_t... I>
inline void bp_emu_call(void (*kernel)(P...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<std::remove_reference_t<P>>*>(args[I])...);
}

template <bool Barrier, class... P>
inline void bp_emu_launch(void (*kernel)(P...), void** args, int grid, int block) {
    gridDim = {(unsigned)grid, 1, 1};
    blockDim = {(unsigned)block, 1, 1};
    for (int b = 0; b < grid; ++b) {
        if constexpr (!Barrier) {
            for (int t = 0; t < block; ++t) {
                blockIdx = {(unsigned)b, 0, 0};
                threadIdx = {(unsigned)t, 0, 0};
                bp_emu_call(kernel, args, std::index_sequence_for<P...>{});
            }
        } else {
            std::barrier<> barrier(block);
            bp_emu_barrier = &barrier;
            std::vector<std::thread> threads;
            for (int t = 0; t < block; ++t)
                threads.emplace_back([=] {
                    blockIdx = {(unsigned)b, 0, 0};
                    threadIdx = {(unsigned)t, 0, 0};
                    bp_emu_call(kernel, args, std::index_sequence_for<P...>{});
                });
            for (auto& thread : threads) thread.join();
            bp_emu_barrier = nullptr;
        }
    }
}
