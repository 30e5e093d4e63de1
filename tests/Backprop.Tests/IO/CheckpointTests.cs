using Backprop.Data;
using Backprop.IO;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.IO;

/// <summary>
/// Resuming from a checkpoint gives bit-identical weights to an uninterrupted run: 6 epochs straight vs 3 + save +
/// a freshly built run restored from the file + 3, with shuffling, dropout, Adam and a scheduler on.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-ckpt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>One training run's objects; <paramref name="initSeed"/> only changes the initial weights.</summary>
    private sealed class Run
    {
        public readonly Sequential Model;
        public readonly Dropout Dropout = new(0.3, new Generator(11));
        public readonly Optimizer Opt;
        public readonly IScheduler Scheduler;
        public readonly DataLoader Loader;
        public readonly Generator Noise = new(5); // a user's own generator (e.g. augmentation)

        public Run(long initSeed, string schedule)
        {
            var g = new Generator(initSeed);
            Model = new Sequential(new Linear(4, 16, generator: g), new Relu(), Dropout, new Linear(16, 3, generator: g));
            Opt = new Adam(Model.Parameters(), lr: 0.02);
            Scheduler = schedule switch
            {
                "step" => new StepLR(Opt, 2, 0.5),
                "sequential" => new SequentialLR(Opt, [new LinearLR(Opt, 0.5, 1, 2), new CosineAnnealingLR(Opt, 4)], [2]),
                _ => new ReduceLROnPlateau(Opt, factor: 0.5, patience: 0),
            };
            var data = new Generator(42);
            var x = Tensor.FromArray(Enumerable.Range(0, 4 * 50).Select(_ => (float)data.NextNormal()).ToArray()).Reshape([50, 4]);
            var y = Tensor.FromArray(Enumerable.Range(0, 50).Select(_ => data.NextInt64(0, 3)).ToArray());
            Loader = new DataLoader(new TensorDataset(x, y), batchSize: 8, shuffle: true, seed: 3);
        }

        public Dictionary<string, Generator> Generators => new() { ["dropout"] = Dropout.Generator, ["noise"] = Noise };

        public void Epoch(int maxBatches = int.MaxValue)
        {
            double sum = 0;
            int b = 0;
            foreach (var (x, y) in Loader)
            {
                Opt.ZeroGrad();
                var noisy = x + Noise.NextSingle() * 0.01f;
                var loss = Functional.CrossEntropy(Model.Forward(noisy), y);
                loss.Backward();
                Opt.Step();
                sum += loss.Item();
                if (++b == maxBatches) return;
            }
            switch (Scheduler)
            {
                case ReduceLROnPlateau p: p.Step(sum); break;
                case StepLR s: s.Step(); break;
                case SequentialLR q: q.Step(); break;
            }
        }
    }

    private static float[] Weights(Run r) => r.Model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();

    [Theory]
    [InlineData("step")]
    [InlineData("sequential")]
    [InlineData("plateau")]
    public void SixEpochs_Equal_ThreePlusResumePlusThree(string schedule)
    {
        var straight = new Run(1, schedule);
        for (int e = 0; e < 6; e++) straight.Epoch();

        var first = new Run(1, schedule);
        for (int e = 0; e < 3; e++) first.Epoch();
        var path = Path.Combine(dir, "ckpt.safetensors");
        Checkpoint.Save(path, first.Model, first.Opt, first.Scheduler, epoch: 3, step: 21, first.Generators, first.Loader, new Dictionary<string, string> { ["note"] = "hi" });

        var resumed = new Run(99, schedule); // different initial weights: everything must come from the file
        var c = Checkpoint.Load(path);
        c.Restore(resumed.Model, resumed.Opt, resumed.Scheduler, resumed.Generators, resumed.Loader);
        Assert.Equal((3, 21L, "hi"), (c.Epoch, c.Step, c.Metadata["note"]));
        for (int e = 3; e < 6; e++) resumed.Epoch();

        Assert.Equal(straight.Opt.ParamGroups[0].Lr, resumed.Opt.ParamGroups[0].Lr);
        Assert.Equal(Weights(straight), Weights(resumed)); // exact float equality, element by element
    }

    [Fact]
    public void MidEpochResume_ContinuesWithTheRemainingBatches()
    {
        var straight = new Run(1, "step");
        for (int e = 0; e < 3; e++) straight.Epoch();

        var first = new Run(1, "step");
        first.Epoch();
        first.Epoch(maxBatches: 4); // stop inside epoch 2 (of 7 batches)
        var path = Path.Combine(dir, "mid.safetensors");
        Checkpoint.Save(path, first.Model, first.Opt, first.Scheduler, 1, 11, first.Generators, first.Loader);
        Assert.Equal(4, first.Loader.StateDict().Position);

        var resumed = new Run(99, "step");
        Checkpoint.Load(path).Restore(resumed.Model, resumed.Opt, resumed.Scheduler, resumed.Generators, resumed.Loader);
        resumed.Epoch(); // the 3 remaining batches of epoch 2, then the scheduler step
        resumed.Epoch();
        Assert.Equal(Weights(straight), Weights(resumed));
    }

    [Fact]
    public void WithoutTheLoaderAndGenerators_TheResumedRunDiffers()
    {
        // Control: the comparison above is sensitive to the shuffling and dropout state being restored.
        var straight = new Run(1, "step");
        for (int e = 0; e < 4; e++) straight.Epoch();
        var first = new Run(1, "step");
        for (int e = 0; e < 2; e++) first.Epoch();
        var path = Path.Combine(dir, "partial.safetensors");
        Checkpoint.Save(path, first.Model, first.Opt, first.Scheduler, 2, 14);
        var resumed = new Run(99, "step");
        Checkpoint.Load(path).Restore(resumed.Model, resumed.Opt, resumed.Scheduler);
        for (int e = 2; e < 4; e++) resumed.Epoch();
        Assert.NotEqual(Weights(straight), Weights(resumed));
    }

    [Fact]
    public void Restore_MissingPartsAndForeignFiles_NameTheFile()
    {
        var run = new Run(1, "step");
        var path = Path.Combine(dir, "weights-only.safetensors");
        Checkpoint.Save(path, run.Model);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path).Restore(run.Model, run.Opt));
        Assert.Contains(path, e.Message);
        Assert.Contains("optimizer state", e.Message);

        var plain = Path.Combine(dir, "plain.safetensors");
        SafeTensors.Save(plain, run.Model.StateDict());
        var f = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(plain));
        Assert.Contains(plain, f.Message);
        Assert.Contains("not a Backprop training checkpoint", f.Message);

        var other = new Sequential(new Linear(4, 8), new Relu(), new Linear(8, 3));
        var g = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path).Restore(other));
        Assert.Contains(path, g.Message);
    }
}
