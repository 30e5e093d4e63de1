using System.Text.Json;
using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// Recurrent layers and cells, scaled dot-product attention and multi-head attention against PyTorch's outputs and
/// gradients (tests/reference/seq.json from make_seq_reference.py, float64). Weights come in through the PyTorch
/// state-dict names.
/// </summary>
public class SequenceReferenceTests
{
    private static readonly JsonElement Data = Reference.Load("seq.json");

    public static TheoryData<string> Cases(string group) => Reference.Cases(Data, group);

    private static JsonElement Case(string name) => Reference.Case(Data, name);

    private static Tensor Load(JsonElement e, bool integral = false) => Reference.Tensor(e, integral);

    private static Tensor? Leaf(JsonElement c, string key) => c.TryGetProperty(key, out var e) ? Load(e).RequiresGrad_() : null;

    private static (Tensor, Tensor)? State(Dictionary<string, Tensor?> leaves) =>
        leaves["h0"] is { } h0 ? (h0, leaves["c0"]!) : null;

    private static void LoadState(Module m, JsonElement c) =>
        m.LoadStateDict(c.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => Load(p.Value)));

    /// <summary>Checks each named output and, after backward of Σ output·upstream, the gradients of the leaves and parameters.</summary>
    private static void Check(JsonElement c, Dictionary<string, Tensor> outputs, Dictionary<string, Tensor?> leaves, Module? module = null)
    {
        string name = c.GetProperty("name").GetString()!;
        Tensor loss = Tensor.Scalar(0, DType.Float64);
        foreach (var (key, output) in outputs)
        {
            var expected = Load(c.GetProperty("out_" + key));
            Assert.Equal(expected.Shape.ToArray(), output.Shape.ToArray());
            Reference.AssertClose(expected.ToArray<double>(), output.ToArray<double>(), 1e-12, 1e-10, $"{name} {key}");
            loss = loss + (output * Load(c.GetProperty("up_" + key))).Sum();
        }
        loss.Backward();
        foreach (var (key, leaf) in leaves)
            if (leaf is not null)
                Reference.AssertClose(Load(c.GetProperty("grad_" + key)).ToArray<double>(), leaf.Grad!.ToArray<double>(), 1e-12, 1e-10, $"{name} grad of {key}");
        if (module is null) return;
        var grads = c.GetProperty("grad_state");
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(grads.EnumerateObject().Select(p => p.Name).Order(), parameters.Keys.Order());
        foreach (var p in grads.EnumerateObject())
            Reference.AssertClose(Load(p.Value).ToArray<double>(), parameters[p.Name].Grad!.ToArray<double>(), 1e-12, 1e-10, $"{name} grad of {p.Name}");
    }

    [Theory]
    [MemberData(nameof(Cases), "layer")]
    public void RecurrentLayerMatchesPyTorch(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        int input = a.GetProperty("input_size").GetInt32(), hidden = a.GetProperty("hidden_size").GetInt32(), layers = a.GetProperty("layers").GetInt32();
        bool bidirectional = a.GetProperty("bidirectional").GetBoolean(), batchFirst = a.GetProperty("batch_first").GetBoolean(), bias = a.GetProperty("bias").GetBoolean();
        SequenceLengths? lengths = a.GetProperty("lengths").ValueKind == JsonValueKind.Null ? (SequenceLengths?)null
            : new SequenceLengths(a.GetProperty("lengths").EnumerateArray().Select(v => v.GetInt32()));
        var leaves = new Dictionary<string, Tensor?> { ["x"] = Leaf(c, "x"), ["h0"] = Leaf(c, "h0"), ["c0"] = Leaf(c, "c0") };
        var x = leaves["x"]!;
        var outputs = new Dictionary<string, Tensor>();
        RecurrentBase module;
        switch (a.GetProperty("kind").GetString())
        {
            case "lstm":
            {
                var lstm = new Lstm(input, hidden, layers, bias, batchFirst, bidirectional: bidirectional, dtype: DType.Float64);
                LoadState(lstm, c);
                var (o, (h, cn)) = lstm.Forward(x, State(leaves), lengths);
                (outputs["output"], outputs["h_n"], outputs["c_n"], module) = (o, h, cn, lstm);
                break;
            }
            case "gru":
            {
                var gru = new Gru(input, hidden, layers, bias, batchFirst, bidirectional: bidirectional, dtype: DType.Float64);
                LoadState(gru, c);
                (outputs["output"], outputs["h_n"]) = gru.Forward(x, leaves["h0"], lengths);
                module = gru;
                break;
            }
            default:
            {
                var rnn = new Rnn(input, hidden, layers, a.GetProperty("nonlinearity").GetString()!, bias, batchFirst, bidirectional: bidirectional, dtype: DType.Float64);
                LoadState(rnn, c);
                (outputs["output"], outputs["h_n"]) = rnn.Forward(x, leaves["h0"], lengths);
                module = rnn;
                break;
            }
        }
        Check(c, outputs, leaves, module);
    }

    [Theory]
    [MemberData(nameof(Cases), "cell")]
    public void CellMatchesPyTorch(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        int input = a.GetProperty("input_size").GetInt32(), hidden = a.GetProperty("hidden_size").GetInt32();
        bool bias = a.GetProperty("bias").GetBoolean();
        var leaves = new Dictionary<string, Tensor?> { ["x"] = Leaf(c, "x"), ["h0"] = Leaf(c, "h0"), ["c0"] = Leaf(c, "c0") };
        var x = leaves["x"]!;
        var outputs = new Dictionary<string, Tensor>();
        RecurrentCellBase cell;
        switch (a.GetProperty("kind").GetString())
        {
            case "lstm_cell":
            {
                var lstm = new LstmCell(input, hidden, bias, dtype: DType.Float64);
                LoadState(lstm, c);
                (outputs["h"], outputs["c"]) = lstm.Forward(x, State(leaves));
                cell = lstm;
                break;
            }
            case "gru_cell":
            {
                var gru = new GruCell(input, hidden, bias, dtype: DType.Float64);
                LoadState(gru, c);
                outputs["h"] = gru.Forward(x, leaves["h0"]);
                cell = gru;
                break;
            }
            default:
            {
                var rnn = new RnnCell(input, hidden, bias, a.GetProperty("nonlinearity").GetString()!, dtype: DType.Float64);
                LoadState(rnn, c);
                outputs["h"] = rnn.Forward(x, leaves["h0"]);
                cell = rnn;
                break;
            }
        }
        Check(c, outputs, leaves, cell);
    }

    [Theory]
    [MemberData(nameof(Cases), "sdpa")]
    public void ScaledDotProductAttentionMatchesFormula(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        var leaves = new Dictionary<string, Tensor?> { ["q"] = Leaf(c, "q"), ["k"] = Leaf(c, "k"), ["v"] = Leaf(c, "v") };
        var mask = c.TryGetProperty("mask", out var m) ? Load(m, integral: a.GetProperty("mask").GetString() == "bool") : null;
        double? scale = a.GetProperty("scale").ValueKind == JsonValueKind.Null ? null : a.GetProperty("scale").GetDouble();
        var output = Functional.ScaledDotProductAttention(leaves["q"]!, leaves["k"]!, leaves["v"]!, mask, isCausal: a.GetProperty("is_causal").GetBoolean(), scale: scale);
        Check(c, new() { ["output"] = output }, leaves);
    }

    [Theory]
    [MemberData(nameof(Cases), "mha")]
    public void MultiheadAttentionMatchesPyTorch(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        var mha = new MultiheadAttention(a.GetProperty("embed_dim").GetInt32(), a.GetProperty("num_heads").GetInt32(), bias: a.GetProperty("bias").GetBoolean(),
            batchFirst: a.GetProperty("batch_first").GetBoolean(), dtype: DType.Float64);
        LoadState(mha, c);
        var leaves = new Dictionary<string, Tensor?> { ["q"] = Leaf(c, "q"), ["k"] = Leaf(c, "k"), ["v"] = Leaf(c, "v") };
        var q = leaves["q"]!;
        var attnMask = c.TryGetProperty("attn_mask", out var am) ? Load(am, integral: a.GetProperty("attn_mask").GetString() == "bool") : null;
        var keyPadding = c.TryGetProperty("key_padding_mask", out var kp) ? Load(kp, integral: true) : null;
        var (output, weights) = mha.Forward(q, leaves["k"] ?? q, leaves["v"] ?? q, keyPadding, needWeights: true, attnMask, a.GetProperty("average").GetBoolean());
        Check(c, new() { ["output"] = output, ["weights"] = weights! }, leaves, mha);
    }

    [Fact]
    public void PyTorchLstmLoadsFromSafetensors()
    {
        string Ref(string f) => Path.Combine(AppContext.BaseDirectory, "reference", "interop", f);
        var lstm = new Lstm(3, 5, numLayers: 2, batchFirst: true, bidirectional: true);
        lstm.LoadStateDict(Backprop.IO.SafeTensors.Load(Ref("lstm.safetensors")));
        var io = Backprop.IO.SafeTensors.Load(Ref("lstm_io.safetensors"));
        var (output, (h, c)) = lstm.Forward(io["x"], null);
        foreach (var (key, actual) in new[] { ("output", output), ("h_n", h), ("c_n", c) })
        {
            Assert.Equal(io[key].Shape.ToArray(), actual.Shape.ToArray());
            Reference.AssertClose(io[key].ToArray<double>(), actual.ToArray<double>(), 1e-5, 0, key);
        }
    }
}
