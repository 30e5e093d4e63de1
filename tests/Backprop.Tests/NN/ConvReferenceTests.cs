using System.Text.Json;
using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>Convolutions, unfold/fold and pooling against PyTorch's outputs and gradients (tests/reference/conv.json, float64).</summary>
public class ConvReferenceTests
{
    private static readonly JsonElement Data = Reference.Load("conv.json");

    public static TheoryData<string> Cases()
    {
        var names = new TheoryData<string>();
        foreach (var c in Data.GetProperty("cases").EnumerateArray()) names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    private static JsonElement Case(string name) =>
        Data.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    private static Tensor Leaf(JsonElement c, string key) =>
        Tensor.FromArray(c.GetProperty(key).Doubles()).Reshape(c.GetProperty(key + "_shape").EnumerateArray().Select(v => v.GetInt32()).ToArray()).RequiresGrad_();

    private static Size2 Pair(JsonElement e) => e.ValueKind == JsonValueKind.Array ? (e[0].GetInt32(), e[1].GetInt32()) : e.GetInt32();

    private static Size2? OptionalPair(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : Pair(e);

    private static Padding2 Padding(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : Pair(e);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        var inputs = new Dictionary<string, Tensor>();
        foreach (var key in new[] { "x", "w", "b" })
            if (c.TryGetProperty(key, out _)) inputs[key] = Leaf(c, key);
        var x = inputs["x"];
        var w = inputs.GetValueOrDefault("w");
        var b = inputs.GetValueOrDefault("b");
        Tensor output = a.GetProperty("op").GetString() switch
        {
            "conv2d" => Functional.Conv2d(x, w!, b, Pair(a.GetProperty("stride")), Padding(a.GetProperty("padding")), Pair(a.GetProperty("dilation")), a.GetProperty("groups").GetInt32()),
            "conv1d" => Functional.Conv1d(x, w!, b, a.GetProperty("stride").GetInt32(),
                a.GetProperty("padding").ValueKind == JsonValueKind.String ? a.GetProperty("padding").GetString()! : a.GetProperty("padding").GetInt32(),
                a.GetProperty("dilation").GetInt32(), a.GetProperty("groups").GetInt32()),
            "conv_transpose2d" => Functional.ConvTranspose2d(x, w!, b, Pair(a.GetProperty("stride")), Pair(a.GetProperty("padding")), Pair(a.GetProperty("output_padding")),
                a.GetProperty("groups").GetInt32(), Pair(a.GetProperty("dilation"))),
            "max_pool2d" => Functional.MaxPool2d(x, Pair(a.GetProperty("kernel")), OptionalPair(a.GetProperty("stride")), Pair(a.GetProperty("padding")),
                Pair(a.GetProperty("dilation")), a.GetProperty("ceil_mode").GetBoolean()),
            "avg_pool2d" => Functional.AvgPool2d(x, Pair(a.GetProperty("kernel")), OptionalPair(a.GetProperty("stride")), Pair(a.GetProperty("padding")),
                a.GetProperty("ceil_mode").GetBoolean(), a.GetProperty("count_include_pad").GetBoolean(),
                a.GetProperty("divisor_override").ValueKind == JsonValueKind.Null ? null : a.GetProperty("divisor_override").GetInt32()),
            "adaptive_avg_pool2d" => Functional.AdaptiveAvgPool2d(x, Pair(a.GetProperty("output_size"))),
            "max_pool1d" => Functional.MaxPool1d(x, a.GetProperty("kernel").GetInt32(), a.GetProperty("stride").GetInt32(), a.GetProperty("padding").GetInt32(),
                a.GetProperty("dilation").GetInt32(), a.GetProperty("ceil_mode").GetBoolean()),
            "avg_pool1d" => Functional.AvgPool1d(x, a.GetProperty("kernel").GetInt32(), a.GetProperty("stride").GetInt32(), a.GetProperty("padding").GetInt32(),
                a.GetProperty("ceil_mode").GetBoolean(), a.GetProperty("count_include_pad").GetBoolean()),
            "unfold" => Functional.Unfold(x, Pair(a.GetProperty("kernel")), Pair(a.GetProperty("dilation")), Pair(a.GetProperty("padding")), Pair(a.GetProperty("stride"))),
            "fold" => Functional.Fold(x, Pair(a.GetProperty("output_size")), Pair(a.GetProperty("kernel")), Pair(a.GetProperty("dilation")), Pair(a.GetProperty("padding")), Pair(a.GetProperty("stride"))),
            var op => throw new InvalidOperationException($"unknown op {op}"),
        };
        Assert.Equal(c.GetProperty("out_shape").EnumerateArray().Select(v => v.GetInt32()).ToArray(), output.Shape.ToArray());
        Reference.AssertClose(c.GetProperty("out").Doubles(), output.ToArray<double>(), 1e-12, 1e-10, $"{name} output");
        var upstream = Tensor.FromArray(c.GetProperty("upstream").Doubles()).Reshape(output.Shape);
        (output * upstream).Sum().Backward();
        foreach (var (key, t) in inputs)
            Reference.AssertClose(c.GetProperty("grad_" + key).Doubles(), t.Grad!.ToArray<double>(), 1e-12, 1e-10, $"{name} grad of {key}");
    }
}
