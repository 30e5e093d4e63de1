using System.Globalization;
using System.Text.Json;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Commands;

/// <summary>
/// <c>explain --attention</c>: every number printed equals PyTorch's (tests/reference/explain_attention.json, written by
/// make_explain_attention.py with torch.autograd in float64), to the six decimals printed.
/// </summary>
[Collection("cli")]
public sealed class ExplainAttentionTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "explain_attention.json"))).RootElement;

    /// <summary>The sections of <c>explain --attention --format json</c> by title prefix.</summary>
    private static Dictionary<string, string[][]> Sections(bool causal)
    {
        var (code, output, error) = Run(causal ? ["explain", "--attention", "--causal", "--format", "json"] : ["explain", "--attention", "--format", "json"]);
        Assert.True(code == 0, error);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Contains("attention head", doc.GetProperty("title").GetString());
        return doc.GetProperty("sections").EnumerateArray().ToDictionary(
            s => s.GetProperty("title").GetString()!,
            s => s.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToArray()).ToArray());
    }

    private static string[][] Find(Dictionary<string, string[][]> sections, string prefix) =>
        sections.Single(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Value;

    /// <summary>Columns [first, first + width) of the given rows, as numbers ("-∞" is −∞).</summary>
    private static double[][] Block(string[][] rows, int first, int width) =>
        [.. rows.Select(r => r[first..(first + width)].Select(v => v == "-∞" ? double.NegativeInfinity : double.Parse(v, CultureInfo.InvariantCulture)).ToArray())];

    private static void AssertMatches(JsonElement expected, double[][] actual, string what)
    {
        var rows = expected.EnumerateArray().ToArray();
        Assert.True(rows.Length == actual.Length, $"{what}: {actual.Length} rows printed, PyTorch has {rows.Length}");
        for (int i = 0; i < rows.Length; i++)
        {
            var cols = rows[i].EnumerateArray().ToArray();
            Assert.True(cols.Length == actual[i].Length, $"{what} row {i + 1}: {actual[i].Length} columns, PyTorch has {cols.Length}");
            for (int j = 0; j < cols.Length; j++)
            {
                double e = cols[j].ValueKind == JsonValueKind.String ? (cols[j].GetString() == "-inf" ? double.NegativeInfinity : double.NaN) : cols[j].GetDouble();
                if (double.IsInfinity(e)) Assert.True(e == actual[i][j], $"{what}[{i + 1},{j + 1}]: printed {actual[i][j]}, PyTorch {e}");
                else Assert.True(Math.Abs(e - actual[i][j]) <= 5.01e-7, $"{what}[{i + 1},{j + 1}]: printed {actual[i][j]}, PyTorch {e}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryNumber_EqualsPyTorch(bool causal)
    {
        var r = Reference.GetProperty(causal ? "causal" : "plain");
        var s = Sections(causal);
        AssertMatches(r.GetProperty("X"), Block(Find(s, "Input X"), 1, 2), "X");
        var weights = Find(s, "Weights of the head");
        AssertMatches(r.GetProperty("W_Q"), Block(weights[0..2], 2, 2), "W_Q");
        AssertMatches(r.GetProperty("W_K"), Block(weights[2..4], 2, 2), "W_K");
        AssertMatches(r.GetProperty("W_V"), Block(weights[4..6], 2, 2), "W_V");
        var qkv = Find(s, "Queries, keys and values");
        AssertMatches(r.GetProperty("Q"), Block(qkv, 1, 2), "Q");
        AssertMatches(r.GetProperty("K"), Block(qkv, 3, 2), "K");
        AssertMatches(r.GetProperty("V"), Block(qkv, 5, 2), "V");
        AssertMatches(r.GetProperty("S"), Block(Find(s, "Scores S"), 1, 3), "S");
        AssertMatches(r.GetProperty("A"), Block(Find(s, "Softmax weights A"), 1, 3), "A");
        var output = Find(s, "Output O");
        AssertMatches(r.GetProperty("O"), Block(output[..3], 1, 2), "O");
        AssertMatches(r.GetProperty("T"), Block(output[..3], 3, 2), "T");
        Assert.Equal(r.GetProperty("loss").GetDouble(), double.Parse(output[3][1], CultureInfo.InvariantCulture), 6);
        AssertMatches(r.GetProperty("dO"), Block(Find(s, "Backward: ∂L/∂O"), 1, 2), "dL/dO");
        AssertMatches(r.GetProperty("dA"), Block(Find(s, "∂L/∂A"), 1, 3), "dL/dA");
        AssertMatches(r.GetProperty("dS"), Block(Find(s, "Through the softmax"), 1, 3), "dL/dS");
        var grads = Find(s, "Gradients of Q, K, V");
        AssertMatches(r.GetProperty("dQ"), Block(grads, 1, 2), "dL/dQ");
        AssertMatches(r.GetProperty("dK"), Block(grads, 3, 2), "dL/dK");
        AssertMatches(r.GetProperty("dV"), Block(grads, 5, 2), "dL/dV");
        var weightGrads = Find(s, "Gradients of the weights");
        AssertMatches(r.GetProperty("dW_Q"), Block(weightGrads[0..2], 2, 2), "dL/dW_Q");
        AssertMatches(r.GetProperty("dW_K"), Block(weightGrads[2..4], 2, 2), "dL/dW_K");
        AssertMatches(r.GetProperty("dW_V"), Block(weightGrads[4..6], 2, 2), "dL/dW_V");
        double autogradDifference = double.Parse(Find(s, "Check against autograd")[0][1], CultureInfo.InvariantCulture);
        Assert.True(autogradDifference < 1e-12, $"library autograd differs by {autogradDifference}");
    }

    [Fact]
    public void TextAndMarkdown_ShowTheSameSections_AndBadCombinationsAreUsageErrors()
    {
        var (code, text, error) = Run("explain", "--attention");
        Assert.True(code == 0, error);
        Assert.Contains("Softmax weights A", text);
        Assert.Contains("∂L/∂W_Q", text);
        var (mdCode, markdown, _) = Run("explain", "--attention", "--causal", "--format", "markdown");
        Assert.Equal(0, mdCode);
        Assert.Contains("| 1 | 1 | 0 | 0 |", markdown); // the causal first query attends only to itself
        Assert.Contains("-∞", markdown);
        AssertOneLineError(Run("explain", "--attention", "--net", "2,2"), 2, "--net", "--attention");
        AssertOneLineError(Run("explain", "--causal"), 2, "--causal", "--attention");
    }
}
