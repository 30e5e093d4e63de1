using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.NN;

public class ModuleStructureTests
{
    // Declared deliberately out of alphabetical order: discovery must follow declaration order.
    private sealed class Ordered : Module
    {
        private readonly Linear zeta = new(2, 2, generator: new Generator(1));
        private readonly Linear alpha = new(2, 2, generator: new Generator(2));
        public Parameter Middle { get; } = new(Tensor.Ones([1]));
        public Linear Beta { get; } = new(2, 1, generator: new Generator(3));

        public override Tensor Forward(Tensor input) => Beta.Forward(alpha.Forward(zeta.Forward(input))) * Middle;
    }

    private sealed class PlainArray : Module
    {
        private readonly Linear[] layers = [new(2, 2), new(2, 2)];
        public override Tensor Forward(Tensor input) => layers.Aggregate(input, (x, l) => l.Forward(x));
    }

    private sealed class RegisteredList : Module
    {
        private readonly List<Linear> layers = [];
        public RegisteredList()
        {
            for (int i = 0; i < 2; i++) { layers.Add(new Linear(2, 2)); RegisterModule("l" + i, layers[i]); }
        }
        public override Tensor Forward(Tensor input) => layers.Aggregate(input, (x, l) => l.Forward(x));
    }

    private sealed class Swappable : Module
    {
        public Linear Layer { get; set; } = new(2, 2);
        public override Tensor Forward(Tensor input) => Layer.Forward(input);
    }

    [Fact]
    public void Fields_AreFoundInDeclarationOrder()
    {
        var names = new Ordered().NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["middle", "zeta.weight", "zeta.bias", "alpha.weight", "alpha.bias", "beta.weight", "beta.bias"], names);
    }

    [Fact]
    public void ACollectionOfUnregisteredModules_IsRejectedNotSkipped()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new PlainArray().Parameters().ToList());
        Assert.Contains("PlainArray.layers", e.Message);
        Assert.Contains("ModuleList", e.Message);
        Assert.Equal(["l0.weight", "l0.bias", "l1.weight", "l1.bias"], new RegisteredList().NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Parameters_IsCached_AndRebuiltWhenTheStructureChanges()
    {
        var list = new ModuleList(new Linear(2, 2));
        var first = list.Parameters();
        Assert.Same(first, list.Parameters());
        list.Add(new Linear(2, 3));
        Assert.Equal(4, list.Parameters().Count());

        var m = new Swappable();
        var before = m.Parameters().ToArray();
        m.Layer = new Linear(2, 2);
        var after = m.Parameters().ToArray();
        Assert.Same(m.Layer.Weight, after[0]);
        Assert.DoesNotContain(before[0], after);
    }

    [Fact]
    public void ToDType_ConvertsInPlace_KeepingTheParameterObjects()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Generator(5)), new Tanh(), new Linear(4, 2, generator: new Generator(6)));
        var x = Tensor.FromArray(new float[,] { { 0.5f, -1f, 2f } });
        var params32 = model.Parameters().ToArray();
        var values32 = params32.Select(p => p.ToArray<double>()).ToArray();
        var opt = new Sgd(model.Parameters(), lr: 0.1);
        model.Forward(x).Sum().Backward();

        Assert.Same(model, model.To(DType.Float64));
        var params64 = model.Parameters().ToArray();
        Assert.Equal(params32, params64);                       // same objects, in the same order
        for (int i = 0; i < params64.Length; i++)
        {
            Assert.Equal(DType.Float64, params64[i].DType);
            Assert.Equal(DType.Float64, params64[i].Grad!.DType);
            Assert.True(params64[i].IsLeaf && params64[i].RequiresGrad);
            Assert.Equal(values32[i], params64[i].ToArray<double>()); // float → double is exact
        }
        var y = model.Forward(x.To(DType.Float64));
        Assert.Equal(DType.Float64, y.DType);

        // The optimizer built before the conversion still updates the converted parameters.
        var w = params64[0].ToArray<double>();
        var g = params64[0].Grad!.ToArray<double>();
        opt.Step();
        var stepped = params64[0].ToArray<double>();
        for (int i = 0; i < w.Length; i++) Assert.Equal(w[i] - 0.1 * g[i], stepped[i], 12);
    }

    [Fact]
    public void ToDevice_Cpu_KeepsEverything_AndOtherDevicesThrow()
    {
        var model = new Linear(2, 2, generator: new Generator(1));
        var storage = model.Weight.Storage;
        var home = Backends.TestDevice.Default; // the CPU, or the checked device in the suite's second pass
        Assert.Same(model, model.To(home));
        Assert.Same(storage, model.Weight.Storage);
        if (home == Device.Cpu) Assert.Same(model, model.To("cpu"));
        var e = Assert.Throws<NotSupportedException>(() => model.To(Device.Cuda(0)));
        Assert.Contains("cuda:0", e.Message);
        Assert.Throws<ArgumentException>(() => model.To(DType.Int64));
    }

    [Fact]
    public void Dropout_DrawsFromTheDefaultGenerator_UnlessGivenOne()
    {
        var x = Tensor.Ones([1000]);
        var a = new Dropout(0.5).Forward(x).ToArray();
        var b = new Dropout(0.5).Forward(x).ToArray();
        Assert.NotEqual(a, b); // PyTorch: two layers never share one mask stream

        var c = new Dropout(0.5, new Generator(7)).Forward(x).ToArray();
        var d = new Dropout(0.5, new Generator(7)).Forward(x).ToArray();
        Assert.Equal(c, d);
    }
}
