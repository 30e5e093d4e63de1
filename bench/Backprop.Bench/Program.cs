// Backprop's benchmark: the peers' workloads (../shared/peers), one JSON line each.
// Usage: dotnet run -c Release --project bench/Backprop.Bench -- [threads] [workload-prefix...]
// charlm_lstm, charlm_transformer: issue 16's character LMs (CharLm.cs; PyTorch: bench/torch_charlm.py); charlm_*_phases probes them (charlm_*_phases_cpu: thread CPU time, per backward node; 1 thread).
// Probes (not peer workloads): kernel | inplace | shapes | warm (tiny_step after 500,000 warm-up steps) | phases (fmnist step,
// with the pool's jobs and wake-ups per step) | pool (the pool's counters after the other workloads) | poolwake (the
// pool's hand-off after idle gaps) | freshshape (a product split or not, its operands warm or just written; run with BACKPROP_WAKE_AWARE=0).
// CNN probes: cnn_quick (60 steps) | cnn_phases (µs per layer) | cnn_phases_cpu (thread CPU time per layer and backward node; run
// with 1 thread) | conv_gemm (conv kernels by thread CPU time). bench/cnn_vs_torch.sh compares the CNN with PyTorch in one run.
// Data-parallel (need mpirun; 1 and 2 ranks, [threads] per rank): ddp_fmnist_mlp | allreduce.
using System.Diagnostics;
using System.Globalization;
using Backprop;
using Backprop.Bench;

int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Threading.DefaultNumThreads(out _);
var only = args.Skip(1).ToArray();
Threading.SetNumThreads(threads);
if (only is ["ddp_fmnist_mlp_rank"]) { DistributedBench.FashionMnistRank(); return; }
if (only is ["allreduce_rank"]) { DistributedBench.AllReduceRank(); return; }
bool Want(string work) => only.Length == 0 || only.Any(o => work.StartsWith(o, StringComparison.Ordinal));

foreach (int n in new[] { 128, 256, 512, 1024, 2048 })
    if (Want($"sgemm{n}")) Workloads.Emit(("work", $"sgemm{n}"), ("gflops", Math.Round(Workloads.Sgemm(n), 1)));
if (only.Contains("kernel")) { Workloads.Emit(("work", "microkernel_avx2_6x16"), ("gflops", Math.Round(KernelProbe.MicroKernelGflops(), 1))); Workloads.Emit(("work", "direct"), ("gflops", Math.Round(KernelProbeDirect.Gflops(), 1))); }
if (only.Contains("inplace")) foreach (int n in new[] { 256, 512, 1024, 2048 }) Workloads.Emit(("work", $"gemm_inplace{n}"), ("gflops", Math.Round(GemmProbe.InPlace(n, Math.Max(10, (int)(8e9 / (2.0 * n * n * n)))), 1)));
if (only.Contains("shapes")) foreach (var (m, k, n, t) in new[] { (256, 784, 256, true), (256, 256, 784, false), (64, 784, 256, true), (256, 64, 784, false) }) Workloads.Emit(("work", $"gemm_{m}x{k}x{n}{(t ? "_bT" : "")}"), ("gflops", Math.Round(ShapeProbe.Run(m, k, n, t), 1)));
if (only.Contains("poolwake")) foreach (int gap in new[] { 10, 100, 300, 1000 }) foreach (int part in new[] { 1, 20, 100 }) PoolWakeProbe.Run(gap, part, 2000);
if (only.Contains("freshshape")) { FreshShapeProbe.Run(64, 784, 256, true); FreshShapeProbe.Run(256, 64, 784, false); }
if (only.Contains("phases"))
    foreach (int batch in new[] { 64, 256 })
        Workloads.Emit([("work", $"fmnist_mlp_b{batch}_phases_us"), .. PhaseProbe.Run(batch).Select(p => (p.Phase, (object)Math.Round(p.Microseconds)))]);
if (only.Contains("warm")) Workloads.Emit(("work", "tiny_step_after_500k_warmup"), ("us_per_step", Math.Round(Workloads.TinyStep(warmup: 500_000), 3)), ("alloc_bytes_per_step", Math.Round(Workloads.LastAllocatedBytesPerStep)));
if (Want("tiny_step")) Workloads.Emit(("work", "tiny_step"), ("us_per_step", Math.Round(Workloads.TinyStep(), 3)), ("alloc_bytes_per_step", Math.Round(Workloads.LastAllocatedBytesPerStep)));
foreach (int batch in new[] { 64, 256 })
{
    if (!Want($"fmnist_mlp_b{batch}")) continue;
    var (samplesPerSecond, accuracy) = Workloads.FashionMnistMlp(batch, epochs: 2);
    Workloads.Emit(("work", $"fmnist_mlp_b{batch}"), ("samples_per_s", Math.Round(samplesPerSecond)), ("test_acc", Math.Round(accuracy, 4)),
        ("epochs", 2), ("peak_ws_mb", Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0)),
        ("alloc_bytes_per_step", Math.Round(Workloads.LastAllocatedBytesPerStep)), ("pool_inlined_jobs", Backprop.Kernels.WorkerPool.InlinedJobs), ("pool_posted_jobs", Backprop.Kernels.WorkerPool.PostedJobs), ("pool_wake_posts", Backprop.Kernels.WorkerPool.WakePosts));
}
if (Want("fmnist_cnn_b128"))
{
    var (samplesPerSecond, accuracy) = Workloads.FashionMnistCnn(128, epochs: 1);
    Workloads.Emit(("work", "fmnist_cnn_b128"), ("samples_per_s", Math.Round(samplesPerSecond)), ("test_acc", Math.Round(accuracy, 4)), ("epochs", 1),
        ("peak_ws_mb", Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0)), ("alloc_bytes_per_step", Math.Round(Workloads.LastAllocatedBytesPerStep)),
        ("pool_inlined_jobs", Backprop.Kernels.WorkerPool.InlinedJobs));
}
if (only.Contains("cnn_quick"))
{
    var (samplesPerSecond, _) = Workloads.FashionMnistCnn(128, epochs: 1, maxSteps: 60);
    Workloads.Emit(("work", "fmnist_cnn_b128_60steps"), ("samples_per_s", Math.Round(samplesPerSecond)));
}
if (only.Contains("conv_gemm")) // thread CPU time, one thread
    foreach (int images in new[] { 128, 4 }) // 4 images: operands that stay in cache
        foreach (var (name, value, unit) in ConvGemmProbe.Run(images, reps: 3 * 128 / images))
            Workloads.Emit(("work", $"conv_gemm_{name}_images{images}"), (unit, Math.Round(value, 2)));
if (only.Contains("cnn_phases_cpu")) // thread CPU time per phase and per backward node; run with 1 thread
    Workloads.Emit([("work", "fmnist_cnn_b128_phases_cpu_us"), .. CnnPhaseProbe.Run(cpuTime: true).Select(p => (p.Phase, (object)p.Microseconds))]);
if (only.Contains("cnn_phases"))
{
    Workloads.Emit([("work", "fmnist_cnn_b128_phases_us"), .. CnnPhaseProbe.Run().Select(p => (p.Phase, (object)p.Microseconds))]);
    Workloads.Emit([("work", "fmnist_cnn_b128_phases_alloc_bytes"), .. CnnPhaseProbe.LastBytesPerStep.Select(p => (p.Phase, (object)p.Bytes))]);
}
if (only.Contains("pool_probe"))
{
    var px = Tensor.Randn([128, 32, 28, 28], new Generator(0));
    var pool = new Backprop.NN.MaxPool2d(2);
    for (int i = 0; i < 5; i++) { using var s0 = new TensorScope(); pool.Forward(px); }
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 20; i++) { using var s1 = new TensorScope(); pool.Forward(px); }
    Workloads.Emit(("work", "maxpool_128x32x28x28_us"), ("us", Math.Round(sw.Elapsed.TotalMilliseconds * 1000 / 20)));
    var relu = new Backprop.NN.Relu();
    sw.Restart();
    for (int i = 0; i < 20; i++) { using var s1 = new TensorScope(); relu.Forward(px); }
    Workloads.Emit(("work", "relu_128x32x28x28_us"), ("us", Math.Round(sw.Elapsed.TotalMilliseconds * 1000 / 20)));
}
foreach (var work in new[] { "charlm_lstm", "charlm_transformer" })
{
    if (Want(work)) CharLm.Run(work);
    if (only.Contains(work + "_phases")) Workloads.Emit([("work", work + "_phases_us"), .. CharLmPhaseProbe.Run(work).Select(p => (p.Phase, (object)p.Microseconds))]);
    if (only.Contains(work + "_phases_cpu")) // thread CPU time per phase and per backward node; run with 1 thread
        Workloads.Emit([("work", work + "_phases_cpu_us"), .. CharLmPhaseProbe.Run(work, cpuTime: true).Select(p => (p.Phase, (object)p.Microseconds))]);
}
if (Want("ddp_fmnist_mlp")) DistributedBench.Launch("ddp_fmnist_mlp", [1, 2], threads);
if (only.Contains("allreduce")) DistributedBench.Launch("allreduce", [2], threads);
if (only.Contains("pool")) // the pool's counters after every workload run above
    Workloads.Emit(("work", "pool"), ("posted", Backprop.Kernels.WorkerPool.PostedJobs), ("wakes", Backprop.Kernels.WorkerPool.WakePosts),
        ("inlined", Backprop.Kernels.WorkerPool.InlinedJobs), ("wake_us", Math.Round(Backprop.Kernels.WorkerPool.WakeMicroseconds, 1)));
