namespace Backprop.Tests.Ops;

public class ReductionAndIndexingTests
{
    private static readonly double[,] Data = { { 1, 5, 3 }, { 4, 2, 6 } };
    private static Tensor X() => Tensor.FromArray(Data);

    [Fact]
    public void Reductions_OverEachDim()
    {
        var x = X();
        Assert.Equal(21.0, x.Sum().Item());
        Assert.Equal(new[] { 5.0, 7, 9 }, x.Sum(0).ToArray());
        Assert.Equal(new[] { 9.0, 12 }, x.Sum(1).ToArray());
        Assert.Equal(new[] { 2, 1 }, x.Sum(1, keepDim: true).Shape.ToArray());
        Assert.Equal(3.5, x.Mean().Item());
        Assert.Equal(new[] { 3.0, 4 }, x.Mean(1).ToArray());
        Assert.Equal(6.0, x.Max().Item());
        Assert.Equal(1.0, x.Min().Item());
        Assert.Equal(new[] { 4.0, 5, 6 }, x.Max(0).ToArray());
        Assert.Equal(new long[] { 1, 0, 1 }, x.ArgMax(0).ToArray<long>());
        Assert.Equal(new long[] { 0, 1 }, x.ArgMin(1).ToArray<long>());
        Assert.Equal(5L, x.ArgMax().Item<long>());
        Assert.Equal(new[] { 4.0, 4.0 }, x.Var(1).ToArray(), new Autograd.Tol(1e-12));
        Assert.Equal(3.5, x.Var().Item(), 12);
        Assert.Equal(Math.Sqrt(17.5 / 6), x.Std(correction: 0).Item(), 12);
        Assert.Equal(new[] { Math.Log(Math.Exp(1) + Math.Exp(5) + Math.Exp(3)), Math.Log(Math.Exp(4) + Math.Exp(2) + Math.Exp(6)) },
            x.LogSumExp(1).ToArray(), new Autograd.Tol(1e-12));
    }

    [Fact]
    public void SoftmaxFamily_IsStableForHugeLogits()
    {
        var x = Tensor.FromArray(new[] { 1000.0, 1001.0, 1002.0 });
        var p = x.Softmax(0).ToArray();
        var e = new[] { Math.Exp(-2), Math.Exp(-1), 1 };
        var s = e.Sum();
        Assert.Equal(e.Select(v => v / s).ToArray(), p, new Autograd.Tol(1e-12));
        Assert.Equal(e.Select(v => Math.Log(v / s)).ToArray(), x.LogSoftmax(0).ToArray(), new Autograd.Tol(1e-12));
        Assert.Equal(1002 + Math.Log(s), x.Unsqueeze(0).LogSumExp(1).Item(), 9);
        var f = Tensor.FromArray(new[] { 1000f, 0f }).Softmax(0).ToArray();
        Assert.Equal(new[] { 1.0, 0.0 }, f);
    }

    [Fact]
    public void Activations_Values()
    {
        var x = Tensor.FromArray(new[] { -2.0, 0.0, 3.0 });
        Assert.Equal(new[] { 0.0, 0, 3 }, x.Relu().ToArray());
        Assert.Equal(new[] { -0.02, 0, 3 }, x.LeakyRelu().ToArray(), new Autograd.Tol(1e-15));
        Assert.Equal(new[] { 1 / (1 + Math.Exp(2)), 0.5, 1 / (1 + Math.Exp(-3)) }, x.Sigmoid().ToArray(), new Autograd.Tol(1e-15));
        Assert.Equal(new[] { Math.Tanh(-2), 0, Math.Tanh(3) }, x.Tanh().ToArray(), new Autograd.Tol(1e-15));
        // GELU values from PyTorch 1.13: torch.nn.functional.gelu(torch.tensor([-2., 0., 3.], dtype=torch.float64))
        Assert.Equal(new[] { -0.04550026389635842, 0, 2.99595030590511 }, x.Gelu().ToArray(), new Autograd.Tol(1e-14));
        Assert.Equal(new[] { -2.0, 0, 2 }, x.Clamp(-2, 2).ToArray());
        Assert.Equal(new[] { 4.0, 0, 9 }, x.Pow(2).ToArray());
        Assert.Equal(new[] { -1.0, 0, 1 }, x.Sign().ToArray());
    }

    [Fact]
    public void Erf_MatchesKnownValues()
    {
        // torch.erf(torch.tensor([0.5, 1., 2., -3.], dtype=torch.float64)) in PyTorch 1.13.
        var v = Tensor.FromArray(new[] { 0.5, 1.0, 2.0, -3.0 }).Erf().ToArray();
        Assert.Equal(new[] { 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.9999779095030014 }, v, new Autograd.Tol(1e-15));
    }

    [Fact]
    public void MaximumMinimumWhere()
    {
        var a = Tensor.FromArray(new[] { 1.0, 5.0 });
        var b = Tensor.FromArray(new[] { 3.0, 2.0 });
        Assert.Equal(new[] { 3.0, 5 }, Tensor.Maximum(a, b).ToArray());
        Assert.Equal(new[] { 1.0, 2 }, Tensor.Minimum(a, b).ToArray());
        Assert.Equal(new[] { 3.0, 5 }, Tensor.Where(a > b, a, b).ToArray());
        var ta = a.Detach().RequiresGrad_(); var tb = a.Detach().Clone().RequiresGrad_();
        Tensor.Maximum(ta, tb).Sum().Backward();
        Assert.Equal(new[] { 0.5, 0.5 }, ta.Grad!.ToArray()); // ties split evenly, as in PyTorch
    }

    [Fact]
    public void MatMul_FollowsTorchRules()
    {
        var m = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var v = Tensor.FromArray(new[] { 1.0, 1.0 });
        Assert.Equal(2.0, v.MatMul(v).Item());
        Assert.Equal(0, v.MatMul(v).Rank);
        Assert.Equal(new[] { 3.0, 7 }, m.MatMul(v).ToArray());
        Assert.Equal(new[] { 4.0, 6 }, v.MatMul(m).ToArray());
        Assert.Equal(new[] { 7.0, 10, 15, 22 }, m.MatMul(m).ToArray());
        var batch = Tensor.Stack([m, m * 2]);
        var r = batch.MatMul(m);
        Assert.Equal(new[] { 2, 2, 2 }, r.Shape.ToArray());
        Assert.Equal(new[] { 7.0, 10, 15, 22, 14, 20, 30, 44 }, r.ToArray());
        Assert.Equal(new[] { 4, 2, 3, 5 }, Tensor.Zeros([4, 1, 3, 2]).MatMul(Tensor.Zeros([2, 2, 5])).Shape.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]).MatMul(Tensor.Zeros([4, 5])));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        var lin = Tensor.Linear(Tensor.FromArray(new double[,] { { 1, 2 } }), m, Tensor.FromArray(new[] { 0.5, -0.5 }));
        Assert.Equal(new[] { 5.5, 10.5 }, lin.ToArray());
    }

    [Fact]
    public void IndexSelectGatherScatter()
    {
        var x = X();
        Assert.Equal(new[] { 4.0, 2, 6, 1, 5, 3 }, x.IndexSelect(0, Tensor.FromArray(new long[] { 1, 0 })).ToArray());
        Assert.Equal(new[] { 3.0, 1, 6, 4 }, x.IndexSelect(1, Tensor.FromArray(new long[] { 2, 0 })).ToArray());
        var idx = Tensor.FromArray(new long[,] { { 1 }, { 2 } });
        Assert.Equal(new[] { 5.0, 6 }, x.Gather(1, idx).ToArray());
        var s = Tensor.Zeros([2, 3], DType.Float64).Scatter(1, idx, Tensor.FromArray(new double[,] { { 9 }, { 8 } }));
        Assert.Equal(new[] { 0.0, 9, 0, 0, 0, 8 }, s.ToArray());
        var sa = Tensor.Zeros([3], DType.Float64).ScatterAdd(0, Tensor.FromArray(new long[] { 0, 0, 2 }), Tensor.FromArray(new[] { 1.0, 2, 3 }));
        Assert.Equal(new[] { 3.0, 0, 3 }, sa.ToArray());
        var oob = Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(1, Tensor.FromArray(new long[] { 3 })));
        Assert.Contains("index 3", oob.Message);
        Assert.Throws<ArgumentException>(() => x.Gather(1, Tensor.FromArray(new[] { 1.0 })));
    }

    [Fact]
    public void IndexSelectOfManyLargeRows_SplitAcrossThreads_PicksEveryRow()
    {
        // 300 rows of 512: large enough that the rows are fetched by several threads (ranges of at least 128 rows).
        var x = Tensor.Arange(0, 300 * 512).Reshape([300, 512]).To(DType.Float32);
        var rows = Enumerable.Range(0, 300).Select(i => (long)((i * 7 + 3) % 300)).ToArray();
        var picked = x.IndexSelect(0, Tensor.FromArray(rows)).ToArray<float>();
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < 512; j += 97) Assert.Equal(rows[i] * 512 + j, picked[i * 512 + j]);
        Assert.Equal(rows[^1] * 512 + 511, picked[^1]);
    }

    [Fact]
    public void CatStackSplitChunkMaskedSelect()
    {
        var x = X();
        Assert.Equal(new[] { 4, 3 }, Tensor.Cat([x, x], 0).Shape.ToArray());
        Assert.Equal(new[] { 1.0, 5, 3, 1, 5, 3, 4, 2, 6, 4, 2, 6 }, Tensor.Cat([x, x], 1).ToArray());
        Assert.Equal(new[] { 2, 2, 3 }, Tensor.Stack([x, x]).Shape.ToArray());
        Assert.Equal(new[] { 2, 3, 2 }, Tensor.Stack([x, x], -1).Shape.ToArray());
        var parts = Tensor.Arange(0.0, 5.0, 1.0).Split(2);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new[] { 4.0 }, parts[2].ToArray());
        Assert.Equal(3, Tensor.Arange(0.0, 7.0, 1.0).Chunk(3).Length);
        Assert.Equal(new[] { 5.0, 4, 6 }, x.MaskedSelect(x > 3).ToArray());
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Cat([x, Tensor.Zeros([3, 3], DType.Float64)], 1));
        Assert.Contains("[2, 3]", ex.Message);
    }
}
