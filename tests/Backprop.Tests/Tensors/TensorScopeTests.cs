using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.Tensors;

public class TensorScopeTests
{
    // 512 floats = 2 KiB: above Storage.MinPooledBytes, so these buffers are pooled.
    private static Tensor Big(double value) => Tensor.Full([16, 32], value);

    [Fact]
    public void TensorsCreatedInAScope_ThrowAClearErrorAfterItEnds()
    {
        Tensor a, view;
        using (var scope = new TensorScope())
        {
            a = Big(3) * 2;
            view = a.Transpose(0, 1);
            Assert.Equal(6, a.Sum().Item() / a.Numel);
        }
        var e = Assert.Throws<ObjectDisposedException>(() => a.Sum());
        Assert.Contains("TensorScope", e.Message);
        Assert.Contains("MoveToOuterScope()", e.Message);
        Assert.Throws<ObjectDisposedException>(() => view.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => a.ToString());
    }

    [Fact]
    public void RecycledBuffers_AreReusedAndZeroedWhenAZeroFilledTensorIsAsked()
    {
        Array first;
        using (new TensorScope())
        {
            var t = Big(7);
            first = Backends.RawBuffer.Of(t);
            Assert.Equal(1, TensorScope.Current!.Count);
        }
        using (new TensorScope())
        {
            var z = Tensor.Zeros([16, 32]);
            Assert.Same(first, Backends.RawBuffer.Of(z)); // the pool handed the same buffer back ...
            Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v)); // ... cleared, although it held 7s
        }
    }

    [Fact]
    public void ClearPool_DropsTheRecycledBuffers()
    {
        using (new TensorScope()) _ = Big(1);
        Assert.True(TensorScope.PooledBytes >= 512 * 4);
        TensorScope.ClearPool();
        Assert.Equal(0, TensorScope.PooledBytes);
        using (new TensorScope()) Assert.Equal(0, Tensor.Zeros([16, 32]).Sum().Item()); // fresh buffers after a clear
    }

    [Fact]
    public void MoveToOuterScope_KeepsATensorUntilTheOuterScopeEnds()
    {
        Tensor kept, detached;
        using (var outer = new TensorScope())
        {
            using (new TensorScope())
            {
                kept = Big(2).MoveToOuterScope();
                detached = Big(5).DetachFromScope();
            }
            Assert.Equal(2 * 512, kept.Sum().Item());
            Assert.Equal(1, outer.Count); // kept; the one-element Sum is below the pooled size
        }
        Assert.Throws<ObjectDisposedException>(() => kept.Sum());
        Assert.Equal(5 * 512, detached.Sum().Item());
    }

    [Fact]
    public void MoveToOuterScope_WithoutAnOuterScope_HandsTheTensorToTheGC()
    {
        Tensor kept;
        using (new TensorScope()) kept = Big(4).MoveToOuterScope();
        Assert.Equal(4 * 512, kept.Sum().Item());
    }

    [Fact]
    public void SmallTensors_AreLeftToTheGC()
    {
        Tensor small;
        using (var scope = new TensorScope())
        {
            small = Tensor.Full([4], 1.5);
            Assert.Equal(0, scope.Count);
        }
        Assert.Equal(6, small.Sum().Item());
    }

    [Fact]
    public void DisposingAnOuterScope_EndsInnerScopesStillOpen()
    {
        Tensor inner;
        var outer = new TensorScope();
        _ = new TensorScope();
        inner = Big(1);
        outer.Dispose();
        Assert.Null(TensorScope.Current);
        Assert.Throws<ObjectDisposedException>(() => inner.Sum());
    }

    [Fact]
    public void DisposingOnAnotherThread_Throws()
    {
        var scope = new TensorScope();
        try
        {
            Exception? error = null;
            var thread = new Thread(() => error = Record.Exception(scope.Dispose));
            thread.Start();
            thread.Join();
            Assert.IsType<InvalidOperationException>(error);
            Assert.Contains("thread", error!.Message);
        }
        finally { scope.Dispose(); }
        Assert.Null(TensorScope.Current);
    }

    [Fact]
    public void GradAndParametersCreatedInAScope_Survive()
    {
        Tensor x;
        Parameter w;
        using (new TensorScope())
        {
            w = new Parameter(Big(1));
            x = Big(1).RequiresGrad_();
            (x * w).Sum().Backward();
        }
        Assert.Equal(512, w.Grad!.Sum().Item());
        Assert.Equal(512, w.Sum().Item());
        Assert.Throws<ObjectDisposedException>(() => x.Sum()); // an ordinary leaf is the caller's, like any tensor
    }

    private static (float[] Weights, List<double> Losses) Train(bool scoped, bool setToNone)
    {
        var data = Datasets.Digits();
        var x = data.Features / 16.0;
        var model = new Sequential(new Linear(64, 32, generator: new Generator(1)), new Relu(), new Linear(32, 10, generator: new Generator(2)));
        var opt = new Adam(model.Parameters(), lr: 1e-2);
        var lossFn = new CrossEntropyLoss();
        var losses = new List<double>();
        var loader = new DataLoader(new TensorDataset(x, data.Labels), batchSize: 64, shuffle: true, seed: 3, recycleBatches: scoped);
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (xb, yb) in loader)
            {
                using var scope = scoped ? new TensorScope() : null;
                opt.ZeroGrad(setToNone);
                var loss = lossFn.Forward(model.Forward(xb), yb);
                loss.Backward();
                opt.Step();
                losses.Add(loss.Item());
            }
        return (model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray(), losses);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TrainingInsideScopes_GivesBitForBitTheSameModel(bool setToNone)
    {
        // Recycled buffers hold stale numbers, so any kernel that relied on fresh zeroed memory would diverge here.
        var (plainWeights, plainLosses) = Train(scoped: false, setToNone: true);
        var (scopedWeights, scopedLosses) = Train(scoped: true, setToNone);
        Assert.Equal(plainLosses, scopedLosses);
        Assert.Equal(plainWeights, scopedWeights);
        double first = plainLosses.Take(5).Average(), last = plainLosses.TakeLast(5).Average();
        Assert.True(last < first / 3, $"the model should learn: mean loss {first} over the first five batches, {last} over the last five");
    }

    [Fact]
    public void TrainingStepInsideAScope_AllocatesFarLessThanItsTensors()
    {
        var model = new Sequential(new Linear(128, 128, generator: new Generator(1)), new Relu(), new Linear(128, 10, generator: new Generator(2)));
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var x = Tensor.Randn([128, 128], new Generator(3));
        var y = Tensor.FromArray(Enumerable.Range(0, 128).Select(i => (long)(i % 10)).ToArray());
        void Step()
        {
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            new CrossEntropyLoss().Forward(model.Forward(x), y).Backward();
            opt.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        double perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 10.0;
        // One step's tensors: two 128×128 activations forward and their gradients backward, 64 KiB each.
        Assert.True(perStep < 64 * 1024, $"allocated {perStep:F0} bytes per step");
    }
}
