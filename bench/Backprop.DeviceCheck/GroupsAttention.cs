using Backprop.Backends.Cuda;
using Backprop.NN;

namespace Backprop.DeviceCheck;

/// <summary>
/// The attention group, through the public API on a <see cref="CudaAllocator"/> over the device: scaled dot-product
/// attention forward and backward (q, k, v gradients) with an additive mask, causal, with dropout, and on heads read as
/// strided views of a packed projection, against the CPU.
/// </summary>
internal static partial class Groups
{
    private static void Attention(CudaDevice d, Parity p)
    {
        var cuda = new CudaAllocator(d);
        foreach (var t in Parity.Floating)
            foreach (var (mask, causal, dropout, packed) in new[] { (false, false, 0.0, false), (true, false, 0.0, false), (false, true, 0.0, true), (false, true, 0.3, false) })
            {
                string what = $"{(mask ? "mask " : "")}{(causal ? "causal " : "")}{(dropout > 0 ? "dropout " : "")}{(packed ? "packed heads " : "")}{t}";
                (double[] Out, double[] Grads) Run(CudaAllocator? target)
                {
                    Tensor On(Tensor x) => (target is null ? x : x.To(target)).WithRequiresGrad(true);
                    var gen = new Generator(5);
                    Tensor q, k, v;
                    Tensor[] leaves;
                    if (packed) // [2, 7, 3·8] split into q, k, v views with strided rows, as MultiheadAttention does
                    {
                        var qkv = On(Tensor.Randn([2, 7, 24], gen, t).To(Device.Cpu));
                        q = qkv.Narrow(2, 0, 8); k = qkv.Narrow(2, 8, 8); v = qkv.Narrow(2, 16, 8);
                        leaves = [qkv];
                    }
                    else
                    {
                        q = On(Tensor.Randn([2, 3, 5, 4], gen, t).To(Device.Cpu));
                        k = On(Tensor.Randn([2, 3, 6, 4], gen, t).To(Device.Cpu));
                        v = On(Tensor.Randn([2, 3, 6, 3], gen, t).To(Device.Cpu));
                        leaves = [q, k, v];
                    }
                    Tensor? m = mask ? Tensor.Randn([5, 6], gen, t).To(Device.Cpu) : null;
                    if (m is not null && target is not null) m = m.To(target);
                    var y = Functional.ScaledDotProductAttention(q, k, v, m, dropout, causal, generator: new Generator(11));
                    (y * y).Sum().Backward();
                    return (y.ToArray<double>(), [.. leaves.SelectMany(l => l.Grad!.ToArray<double>())]);
                }
                var (cpuOut, cpuGrads) = Run(null);
                var (gpuOut, gpuGrads) = Run(cuda);
                p.Compare($"attention {what}", gpuOut, cpuOut, t);
                p.Compare($"attention backward {what}", gpuGrads, cpuGrads, t);
            }
    }
}
