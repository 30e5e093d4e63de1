using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// Recurrent cells and layers, scaled dot-product attention and multi-head attention checked against finite differences
/// in Float64. The modules' parameters are among the checked inputs (GradCheck perturbs them in their storage).
/// </summary>
public class SequenceGradCheckTests
{
    public record Case(string Name, Func<(Func<Tensor[], Tensor> F, Tensor[] Inputs)> Make, bool SecondOrder = true)
    {
        public override string ToString() => Name;
    }

    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    private static Tensor Flat(params Tensor[] parts) => Tensor.Cat(parts.Select(p => p.Reshape([-1])).ToArray());

    public static readonly Case[] Cases =
    [
        new("rnn cell tanh", () =>
        {
            var g = new Generator(1);
            var cell = new RnnCell(3, 2, generator: g, dtype: DType.Float64);
            return (x => cell.Forward(x[0], x[1]), [R(g, 2, 3), R(g, 2, 2), .. cell.Parameters()]);
        }),
        new("lstm cell", () =>
        {
            var g = new Generator(2);
            var cell = new LstmCell(2, 2, generator: g, dtype: DType.Float64);
            return (x => { var (h, c) = cell.Forward(x[0], (x[1], x[2])); return Flat(h, c); }, [R(g, 2, 2), R(g, 2, 2), R(g, 2, 2), .. cell.Parameters()]);
        }),
        new("gru cell", () =>
        {
            var g = new Generator(3);
            var cell = new GruCell(3, 2, generator: g, dtype: DType.Float64);
            return (x => cell.Forward(x[0], x[1]), [R(g, 2, 3), R(g, 2, 2), .. cell.Parameters()]);
        }),
        new("bidirectional gru with lengths", () =>
        {
            var g = new Generator(4);
            var gru = new Gru(2, 2, bidirectional: true, generator: g, dtype: DType.Float64);
            return (x => { var (o, h) = gru.Forward(x[0], x[1], new[] { 3, 1 }); return Flat(o, h); }, [R(g, 3, 2, 2), R(g, 2, 2, 2), .. gru.Parameters()]);
        }, SecondOrder: false),
        new("2-layer batch-first lstm", () =>
        {
            var g = new Generator(5);
            var lstm = new Lstm(2, 2, numLayers: 2, batchFirst: true, generator: g, dtype: DType.Float64);
            return (x => { var (o, (h, c)) = lstm.Forward(x[0], null); return Flat(o, h, c); }, [R(g, 2, 3, 2), .. lstm.Parameters()]);
        }, SecondOrder: false),
        new("sdpa with boolean mask", () =>
        {
            var g = new Generator(6);
            var mask = Tensor.FromArray(new long[] { 1, 0, 1, 1, 1, 0 }, [2, 3]);
            return (x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], mask), [R(g, 2, 2, 2), R(g, 2, 3, 2), R(g, 2, 3, 2)]);
        }),
        new("sdpa causal with float scale", () =>
        {
            var g = new Generator(7);
            return (x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true, scale: 0.8), [R(g, 1, 3, 2), R(g, 1, 3, 2), R(g, 1, 3, 2)]);
        }),
        new("multihead attention with key padding", () =>
        {
            var g = new Generator(8);
            var mha = new MultiheadAttention(4, 2, generator: g, dtype: DType.Float64);
            using (global::Backprop.Autograd.NoGrad()) foreach (var p in mha.Parameters()) p.Copy_(Tensor.Randn(p.Shape, g, DType.Float64) * 0.5);
            var padding = Tensor.FromArray(new long[] { 0, 0, 1 }, [1, 3]);
            return (x =>
            {
                var (o, w) = mha.Forward(x[0], x[1], x[1], padding);
                return Flat(o, w!);
            }, [R(g, 2, 1, 4), R(g, 3, 1, 4), .. mha.Parameters()]);
        }),
    ];

    public static TheoryData<Case> AllCases()
    {
        var data = new TheoryData<Case>();
        foreach (var c in Cases) data.Add(c);
        return data;
    }

    public static TheoryData<Case> SecondOrderCases()
    {
        var data = new TheoryData<Case>();
        foreach (var c in Cases.Where(c => c.SecondOrder)) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void FirstOrder(Case c)
    {
        var (f, inputs) = c.Make();
        Assert.True(GradCheck.Check(f, inputs));
    }

    [Theory]
    [MemberData(nameof(SecondOrderCases))]
    public void SecondOrder(Case c)
    {
        var (f, inputs) = c.Make();
        Assert.True(GradCheck.CheckSecondOrder(f, inputs));
    }
}
