using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>Convolutions, unfold/fold and pooling checked against finite differences in Float64, first and second order.</summary>
public class ConvGradCheckTests
{
    public record Case(string Name, Func<Tensor[], Tensor> F, int[][] Shapes, bool TransposeFirst = false)
    {
        public override string ToString() => Name;
    }

    public static readonly Case[] Cases =
    [
        new("conv2d plain", x => Functional.Conv2d(x[0], x[1], x[2]), [[2, 2, 5, 4], [3, 2, 3, 2], [3]]),
        new("conv2d stride 2 pad 1", x => Functional.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1), [[1, 2, 5, 6], [2, 2, 3, 3], [2]]),
        new("conv2d dilation 2, asymmetric stride", x => Functional.Conv2d(x[0], x[1], null, stride: (1, 2), padding: (2, 1), dilation: 2), [[1, 1, 6, 7], [2, 1, 2, 3]]),
        new("conv2d same, even kernel", x => Functional.Conv2d(x[0], x[1], x[2], padding: "same"), [[2, 1, 4, 5], [2, 1, 2, 4], [2]]),
        new("conv2d groups 2", x => Functional.Conv2d(x[0], x[1], x[2], groups: 2), [[1, 4, 4, 4], [4, 2, 2, 2], [4]]),
        new("conv2d on a transposed view", x => Functional.Conv2d(x[0], x[1]), [[1, 2, 5, 4], [2, 2, 2, 2]], TransposeFirst: true),
        new("conv1d", x => Functional.Conv1d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2), [[2, 2, 9], [3, 2, 3], [3]]),
        new("conv1d same groups", x => Functional.Conv1d(x[0], x[1], x[2], padding: "same", groups: 2), [[1, 4, 6], [2, 2, 3], [2]]),
        new("conv transpose2d", x => Functional.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1), [[1, 2, 3, 3], [2, 3, 3, 3], [3]]),
        new("conv transpose2d groups dilation", x => Functional.ConvTranspose2d(x[0], x[1], x[2], stride: (1, 2), groups: 2, dilation: (2, 1)), [[2, 2, 3, 2], [2, 1, 2, 2], [2]]),
        new("unfold", x => Functional.Unfold(x[0], (2, 3), dilation: (2, 1), padding: 1, stride: (1, 2)), [[2, 2, 4, 5]]),
        new("fold", x => Functional.Fold(x[0], (4, 5), 2, padding: 1, stride: 2), [[1, 8, 9]]),
        new("max pool2d", x => Functional.MaxPool2d(x[0], 2), [[2, 2, 4, 6]]),
        new("max pool2d pad ceil dilation", x => Functional.MaxPool2d(x[0], 3, stride: 2, padding: 1, dilation: (1, 2), ceilMode: true), [[1, 2, 7, 8]]),
        new("avg pool2d", x => Functional.AvgPool2d(x[0], 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false), [[1, 2, 6, 7]]),
        new("adaptive avg pool2d", x => Functional.AdaptiveAvgPool2d(x[0], (3, 2)), [[2, 1, 7, 5]]),
        new("max pool1d", x => Functional.MaxPool1d(x[0], 3, stride: 2, padding: 1), [[2, 2, 9]]),
        new("avg pool1d", x => Functional.AvgPool1d(x[0], 2, stride: 1), [[1, 3, 6]]),
    ];

    public static TheoryData<Case> AllCases()
    {
        var data = new TheoryData<Case>();
        foreach (var c in Cases) data.Add(c);
        return data;
    }

    private static Tensor[] Inputs(Case c)
    {
        var g = new Generator(7);
        return c.Shapes.Select((s, i) =>
        {
            if (i == 0 && c.TransposeFirst)
            {
                var swapped = Tensor.Randn([s[0], s[1], s[3], s[2]], g, DType.Float64).Transpose(2, 3);
                Assert.False(swapped.IsContiguous);
                return swapped.RequiresGrad_();
            }
            return Tensor.Randn(s, g, DType.Float64).RequiresGrad_();
        }).ToArray();
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void FirstOrder(Case c) => Assert.True(GradCheck.Check(c.F, Inputs(c)));

    [Theory]
    [MemberData(nameof(AllCases))]
    public void SecondOrder(Case c) => Assert.True(GradCheck.CheckSecondOrder(c.F, Inputs(c)));
}
