using Backprop.Backends.Cpu;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Backends.Cpu;

/// <summary>An optimizer step large enough to be split across threads gives the same numbers as on one thread.</summary>
[Collection("GemmPath")] // changes the process-wide thread setting
public class OptimizerSplitTests
{
    [Fact]
    public void AdamAndSgd_SplitAcrossThreads_EqualOneThread()
    {
        int n = 2 * CpuBackend.ParallelGrain + 12_345;
        float[] Run(int threads, Func<Parameter, Optimizer> make)
        {
            int before = Threading.NumThreads;
            try
            {
                Threading.SetNumThreads(threads);
                var p = new Parameter(Tensor.Randn([n], new Generator(1)));
                var opt = make(p);
                for (int step = 0; step < 3; step++)
                {
                    p.Grad = Tensor.Randn([n], new Generator(10 + step));
                    opt.Step();
                }
                return p.ToArray<float>();
            }
            finally { Threading.SetNumThreads(before); }
        }
        Assert.Equal(Run(1, p => new Adam([p], lr: 1e-2)), Run(2, p => new Adam([p], lr: 1e-2)));
        Assert.Equal(Run(1, p => new Sgd([p], lr: 1e-2, momentum: 0.9)), Run(2, p => new Sgd([p], lr: 1e-2, momentum: 0.9)));
    }
}
