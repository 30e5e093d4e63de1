using Backprop.Backends.Cuda;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// The public tensor API on the CUDA backend, with every kernel really running on the host emulator (cuBLAS as
/// <see cref="HostBlas"/>): training steps and ops forward and backward equal the CPU's (Float64 to 1e-12 and Float32 to
/// 1e-5 relative to max(|x|, 1)); an index out of range throws the CPU's error.
/// </summary>
public sealed class EmulatedBackendTests : IDisposable
{
    private readonly EmulatedDevice emulated;
    private readonly CudaAllocator cuda;

    public EmulatedBackendTests()
    {
        emulated = new EmulatedDevice(blockSize: 7, blas: new HostBlas());
        cuda = new CudaAllocator(emulated.Device);
    }

    public void Dispose() => emulated.Dispose();

    private static void Close(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        EmulatedDevice.AssertClose(expected.ToArray<double>(), actual.ToArray<double>(), expected.DType == DType.Float32 ? 1e-5 : 1e-12, what);
    }

    /// <summary>Runs <paramref name="steps"/> training steps of the model on <paramref name="target"/> (null: the CPU) and returns its parameters.</summary>
    private static double[] Train(Func<Module> build, Tensor images, Tensor labels, CudaAllocator? target, int steps)
    {
        var model = build();
        if (target is not null) model.To(target);
        var opt = new Adam(model.Parameters(), lr: 0.01);
        var (x, y) = target is null ? (images, labels) : (images.To(target), labels.To(target));
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            ClipGrad.Norm(model.Parameters(), 1.0);
            opt.Step();
        }
        return [.. model.Parameters().SelectMany(p => p.ToArray<double>())];
    }

    [EmulatorTheory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ConvNetTrainingSteps_MatchTheCpu(DType dtype)
    {
        Module Build() => new Sequential(
            new Conv2d(2, 4, 3, padding: 1, generator: new Generator(3), dtype: dtype), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(4 * 3 * 3, 5, generator: new Generator(4), dtype: dtype)).To(Device.Cpu);
        var images = Tensor.Randn([6, 2, 7, 7], new Generator(9), dtype).To(Device.Cpu);
        var labels = Tensor.FromArray([0L, 1, 2, 3, 4, 0]).To(Device.Cpu);
        var onCpu = Train(Build, images, labels, null, 3);
        var onCuda = Train(Build, images, labels, cuda, 3);
        // Three Adam steps amplify the GEMMs' different summation order a little (Float32): 1e-4 there.
        EmulatedDevice.AssertClose(onCpu, onCuda, dtype == DType.Float32 ? 1e-4 : 1e-10, "parameters after 3 steps");
    }

    [EmulatorFact]
    public void MlpTrainingSteps_WithSgdMomentumAndAMeanLoss_MatchTheCpu()
    {
        double[] Train(CudaAllocator? target)
        {
            var model = new Sequential(new Linear(9, 13, generator: new Generator(1), dtype: DType.Float64), new Tanh(),
                new Linear(13, 3, generator: new Generator(2), dtype: DType.Float64)).To(Device.Cpu);
            if (target is not null) model.To(target);
            var opt = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9, nesterov: true);
            var x = Tensor.Randn([11, 9], new Generator(3), DType.Float64).To(Device.Cpu);
            var y = Tensor.Randn([11, 3], new Generator(4), DType.Float64).To(Device.Cpu);
            if (target is not null) (x, y) = (x.To(target), y.To(target));
            for (int step = 0; step < 4; step++)
            {
                opt.ZeroGrad();
                Functional.MseLoss(model.Forward(x), y).Backward();
                opt.Step();
            }
            return [.. model.Parameters().SelectMany(p => p.ToArray<double>())];
        }
        EmulatedDevice.AssertClose(Train(null), Train(cuda), 1e-12, "parameters after 4 steps");
    }

    [EmulatorFact]
    public void Reductions_Scans_AndIndexing_MatchTheCpu()
    {
        var x = Tensor.Randn([5, 7, 3], new Generator(1), DType.Float64).To(Device.Cpu);
        var g = x.To(cuda);
        Close(x.Sum(), g.Sum(), "sum");
        Close(x.Mean([1]), g.Mean([1]), "mean dim 1");
        var (mx, ix) = x.MaxWithIndices(1);
        var (gmx, gix) = g.MaxWithIndices(1);
        Close(mx, gmx, "max values");
        Assert.Equal(ix.ToArray<long>(), gix.ToArray<long>());
        Close(x.CumSum(1), g.CumSum(1), "cumsum");
        Close(x.Prod(2), g.Prod(2), "prod");
        var (sv, si) = x.Sort(1, descending: true);
        var (gsv, gsi) = g.Sort(1, descending: true);
        Close(sv, gsv, "sort values");
        Assert.Equal(si.ToArray<long>(), gsi.ToArray<long>());
        Close(Tensor.Where(x > 0, x, x * 2), Tensor.Where(g > 0, g, g * 2), "where");
        var idx = Tensor.FromArray([2L, 0, 2, 6]).To(Device.Cpu);
        Close(x.IndexSelect(1, idx), g.IndexSelect(1, idx.To(cuda)), "index_select");
        var gi = Tensor.FromArray([0L, 2, 1, 1, 0, 2], [1, 6, 1]).To(Device.Cpu).Expand([5, 6, 3]).Contiguous();
        Close(x.Gather(1, gi), g.Gather(1, gi.To(cuda)), "gather");
        Close(x.To(DType.Float32), g.To(DType.Float32), "convert");
        var bad = Tensor.FromArray([1L, 9]).To(Device.Cpu);
        var cpuError = Record.Exception(() => x.IndexSelect(1, bad));
        var cudaError = Record.Exception(() => g.IndexSelect(1, bad.To(cuda)));
        Assert.NotNull(cpuError);
        Assert.Equal(cpuError!.GetType(), cudaError?.GetType());
        Assert.Equal(cpuError.Message, cudaError!.Message);
    }

    [EmulatorFact]
    public void IntegerDivisionByZero_ThrowsTheCpusError_InsteadOfAQuietZero()
    {
        var a = Tensor.FromArray([7L, -7, 9]).To(Device.Cpu);
        var b = Tensor.FromArray([2L, 0, 3]).To(Device.Cpu);
        var ga = a.To(cuda);
        var cpuError = Record.Exception(() => a.Clone().Div_(b));
        var cudaError = Record.Exception(() => ga.Div_(b.To(cuda)));
        Assert.IsType<DivideByZeroException>(cpuError);
        Assert.IsType<DivideByZeroException>(cudaError);
        Assert.Equal(cpuError!.Message, cudaError!.Message);
        Assert.Equal(new long[] { 7, -7, 9 }, ga.ToArray<long>()); // untouched
        ga.Div_(Tensor.FromArray([2L, 2, 3]).To(cuda));
        Assert.Equal(new long[] { 3, -3, 3 }, ga.ToArray<long>());
    }

    [EmulatorFact]
    public void LayerNorm_Gelu_Embedding_AndLstmCell_ForwardAndBackward_MatchTheCpu()
    {
        (Tensor Loss, Tensor[] Grads) Run(CudaAllocator? target)
        {
            var emb = new Embedding(11, 6, generator: new Generator(1), dtype: DType.Float64);
            var norm = new LayerNorm(6, dtype: DType.Float64);
            var cell = new LstmCell(6, 5, generator: new Generator(2), dtype: DType.Float64);
            var modules = new Module[] { emb, norm, cell };
            foreach (var m in modules) { m.To(Device.Cpu); if (target is not null) m.To(target); }
            var tokens = Tensor.FromArray([3L, 1, 4, 1, 5, 9, 2]).To(Device.Cpu);
            var h = new Gelu().Forward(norm.Forward(emb.Forward(target is null ? tokens : tokens.To(target))));
            var (hy, cy) = cell.Forward(h, null);
            var loss = (hy * hy).Sum() + cy.Mean();
            loss.Backward();
            return (loss, [.. modules.SelectMany(m => m.Parameters()).Select(p => p.Grad!)]);
        }
        var (cpuLoss, cpuGrads) = Run(null);
        var (cudaLoss, cudaGrads) = Run(cuda);
        Close(cpuLoss, cudaLoss, "loss");
        Assert.Equal(cpuGrads.Length, cudaGrads.Length);
        for (int i = 0; i < cpuGrads.Length; i++) Close(cpuGrads[i], cudaGrads[i], $"gradient {i}");
    }

    [EmulatorFact]
    public void GruLayer_Padding_AndPooling_KeepTheirTensorsOnTheInputsDevice_AndMatchTheCpu()
    {
        (Tensor Out, Tensor[] Grads) Run(CudaAllocator? target)
        {
            var gru = new Gru(4, 5, numLayers: 2, generator: new Generator(1), dtype: DType.Float64);
            gru.To(Device.Cpu);
            if (target is not null) gru.To(target);
            var host = Tensor.Randn([2, 3, 6, 6], new Generator(2), DType.Float64).To(Device.Cpu);
            var x = (target is null ? host : host.To(target)).WithRequiresGrad(true);
            var padded = Functional.Pad(x, [1, 2, 2, 1], value: 0.5);                       // constant
            var reflected = Functional.Pad(x, [1, 1, 1, 1], PadMode.Reflect);               // an index on the input's device
            var pooled = Functional.AvgPool2d(padded, 2, padding: 1, countIncludePad: false); // the divisor tensor
            var adaptive = Functional.AdaptiveAvgPool2d(reflected, new Size2(3, 3));          // the averaging matrices
            var sequence = adaptive.Reshape([3, 2, 9]).Narrow(2, 0, 4).Contiguous();          // [T 3, B 2, features 4]
            var (output, _) = gru.Forward(sequence, null);                                  // the zero state on the input's device
            var loss = (output * output).Sum() + pooled.Mean();
            loss.Backward();
            return (loss, [x.Grad!, .. gru.Parameters().Select(p => p.Grad!)]);
        }
        var (cpuLoss, cpuGrads) = Run(null);
        var (cudaLoss, cudaGrads) = Run(cuda);
        Close(cpuLoss, cudaLoss, "loss");
        for (int i = 0; i < cpuGrads.Length; i++) Close(cpuGrads[i], cudaGrads[i], $"gradient {i}");
    }
}
