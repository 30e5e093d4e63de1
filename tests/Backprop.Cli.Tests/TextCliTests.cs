using System.Globalization;
using System.Text;
using System.Text.Json;
using Backprop.Cli.Training;
using Backprop.Data;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests;

/// <summary>
/// <c>train --dataset text</c> and <c>generate</c> end to end on the embedded Coriolanus passage: the loss falls below a bound
/// no context-free predictor can reach, the run folder resumes, sampling is seeded, and bad input is one line with exit 2.
/// </summary>
[Collection("cli")]
public sealed class TextCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-text-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A small, fast LSTM: 2 epochs of the 36,032 training characters in windows of 16 take a few seconds.</summary>
    private static readonly string[] SmallLstm = ["--embedding", "16", "--hidden", "64", "--context", "16", "--lr", "0.01"];

    private string Trained(string name, int epochs = 2)
    {
        var run = Path.Combine(dir, name);
        var (code, _, error) = Run(["train", "--dataset", "text", .. SmallLstm, "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--out", run]);
        Assert.True(code == 0, error);
        return run;
    }

    /// <summary>The validation text's unigram entropy in nats: H = −Σ p log p over its own character frequencies.</summary>
    private static double UnigramEntropyOfValidationPart()
    {
        var symbols = TextData.Symbols(Datasets.Coriolanus());
        var validation = symbols[(symbols.Length - symbols.Length / 10)..];
        return -validation.GroupBy(c => c).Sum(g => (double)g.Count() / validation.Length * Math.Log((double)g.Count() / validation.Length));
    }

    [Fact]
    public void Lstm_LearnsMoreThanCharacterFrequencies_AndPrintsBitsPerCharacter()
    {
        var run = Path.Combine(dir, "lstm");
        var (code, output, error) = Run(["train", "--dataset", "text", .. SmallLstm, "--epochs", "2", "--out", run]);
        Assert.True(code == 0, error);
        Assert.Contains("vocabulary of 58 characters", output);
        Assert.Contains(" bpc)", output);

        // Gibbs' inequality: a model that ignores the preceding characters predicts every position with one distribution q,
        // and its cross-entropy on the validation text is at least that text's unigram entropy H (3.21 nats here; uniform
        // guessing is ln 58 = 4.06). Half a nat below H can only come from using the context.
        double bound = UnigramEntropyOfValidationPart() - 0.5;
        Assert.InRange(bound, 2.6, 2.8);
        var last = File.ReadAllLines(Path.Combine(run, "metrics.csv"))[^1].Split(',');
        double valLoss = double.Parse(last[2], CultureInfo.InvariantCulture);
        Assert.True(valLoss < bound, $"validation loss {valLoss} nats, bound {bound}");
        // bits per character = nats / ln 2, as printed
        Assert.Contains($"({(valLoss / Math.Log(2)).ToString("F3", CultureInfo.InvariantCulture)} bpc)", output);

        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement;
        Assert.Equal("backprop-charlm/1", spec.GetProperty("format").GetString());
        Assert.Equal("lstm", spec.GetProperty("model").GetString());
        var vocabulary = spec.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(Datasets.Coriolanus().Distinct().Select(c => c.ToString()).Order(StringComparer.Ordinal), vocabulary);
        Assert.Equal(16, spec.GetProperty("inputs").GetInt32());
        Assert.Equal(64, spec.GetProperty("text").GetProperty("hidden").GetInt32());
    }

    [Fact]
    public void Transformer_TrainsAndGenerates()
    {
        var run = Path.Combine(dir, "transformer");
        var (code, output, error) = Run("train", "--dataset", "text", "--model", "transformer", "--embedding", "32", "--heads", "4", "--hidden", "64",
            "--num-layers", "1", "--context", "16", "--lr", "0.01", "--epochs", "1", "--out", run);
        Assert.True(code == 0, error);
        Assert.Contains("transformer", output);
        var last = File.ReadAllLines(Path.Combine(run, "metrics.csv"))[^1].Split(',');
        Assert.True(double.Parse(last[2], CultureInfo.InvariantCulture) < Math.Log(58), "one epoch should beat uniform guessing");

        // Longer than the 16 positions it learned: the sampler keeps the last 16 characters.
        var (genCode, text, genError) = Run("generate", "--model", run, "--prompt", "MENENIUS:", "--length", "40", "--seed", "1");
        Assert.True(genCode == 0, genError);
        Assert.StartsWith("MENENIUS:", text);
        Assert.EndsWith("\n", text);
        Assert.Equal("MENENIUS:".Length + 40, text.Length - 1); // the prompt, 40 characters, and the line end
    }

    [Fact]
    public void Generate_IsSeeded_HasTheRequestedLength_AndTopK1IsGreedy()
    {
        var run = Trained("gen");
        string Sample(params string[] extra)
        {
            var (code, output, error) = Run(["generate", "--model", run, "--prompt", "First Citizen:", "--length", "120", .. extra]);
            Assert.True(code == 0, error);
            Assert.EndsWith("\n", output);
            return output[..^1];
        }
        var a = Sample("--seed", "7");
        Assert.Equal(a, Sample("--seed", "7"));
        Assert.NotEqual(a, Sample("--seed", "8"));
        Assert.StartsWith("First Citizen:", a);
        Assert.Equal("First Citizen:".Length + 120, a.Length); // the vocabulary is ASCII: one char per character

        // --top-k 1 is greedy decoding whatever the seed: compare with the arg-max of a full forward pass over the text so far
        // (the whole sequence at once, not the sampler's step-by-step state).
        var greedy = Sample("--top-k", "1", "--seed", "1");
        Assert.Equal(greedy, Sample("--top-k", "1", "--seed", "2"));
        var (spec, model) = ModelSpec.Load(run, languageModel: true);
        var index = spec.Classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
        var ids = greedy.Select(c => index[c.ToString()]).ToArray();
        using (Autograd.NoGrad())
        {
            var logits = model.Forward(Tensor.FromArray(ids, [1, ids.Length])); // [1, V, T]
            var argmax = logits.ArgMax(1).ToArray<long>();
            for (int t = "First Citizen:".Length - 1; t < ids.Length - 1; t++)
                Assert.True(argmax[t] == ids[t + 1], $"position {t + 1}: generated '{greedy[t + 1]}', arg-max '{spec.Classes[argmax[t]]}'");
        }
    }

    [Fact]
    public void Resume_ContinuesATextRun_ByteForByte()
    {
        string[] tiny = ["--embedding", "8", "--hidden", "16", "--context", "16", "--lr", "0.01"];
        var once = Path.Combine(dir, "once");
        var twice = Path.Combine(dir, "twice");
        Assert.Equal(0, Run(["train", "--dataset", "text", .. tiny, "--epochs", "2", "--out", once]).Code);
        Assert.Equal(0, Run(["train", "--dataset", "text", .. tiny, "--epochs", "1", "--out", twice]).Code);
        var (code, output, error) = Run("train", "--resume", twice, "--epochs", "2");
        Assert.True(code == 0, error);
        Assert.Contains("resuming", output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(once, "model.safetensors")), File.ReadAllBytes(Path.Combine(twice, "model.safetensors")));
        AssertOneLineError(Run("train", "--resume", twice, "--epochs", "3", "--context", "8"), 1, "--context", "--resume");
    }

    [Fact]
    public void TrainsOnAFile_WithNonAsciiCharacters()
    {
        var file = Path.Combine(dir, "poem.txt");
        var line = "Über den Wolken — naïve café 😀 λόγος\n";
        File.WriteAllText(file, string.Concat(Enumerable.Repeat(line, 40)), new UTF8Encoding(true)); // with a byte-order mark
        var run = Path.Combine(dir, "poem");
        var (code, output, error) = Run("train", "--dataset", "text", "--file", file, "--embedding", "8", "--hidden", "16", "--context", "8", "--epochs", "1", "--out", run);
        Assert.True(code == 0, error);
        var vocabulary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model.json"))).RootElement.GetProperty("classes").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("😀", vocabulary); // one character, not two UTF-16 halves
        Assert.DoesNotContain("\uFEFF", vocabulary);
        Assert.Equal(line.EnumerateRunes().Distinct().Count(), vocabulary.Count);
        Assert.Contains("poem.txt", output);
        var (genCode, text, genError) = Run("generate", "--model", run, "--prompt", "😀", "--length", "10");
        Assert.True(genCode == 0, genError);
        Assert.Equal(1 + 10, text[..^1].EnumerateRunes().Count()); // characters, not UTF-16 units
    }

    [Fact]
    public void BadTrainInput_IsOneLine_Exit2()
    {
        var empty = Path.Combine(dir, "empty.txt"); File.WriteAllText(empty, "");
        var shortText = Path.Combine(dir, "short.txt"); File.WriteAllText(shortText, "To be, or not to be.\n");
        var latin1 = Path.Combine(dir, "latin1.txt"); File.WriteAllBytes(latin1, [.. Encoding.ASCII.GetBytes("caf"), 0xE9, .. Encoding.ASCII.GetBytes(new string('x', 2000))]);
        var o = Path.Combine(dir, "never");
        AssertOneLineError(Run("train", "--dataset", "text", "--file", Path.Combine(dir, "missing.txt"), "--out", o), 2, "--file", "not found");
        AssertOneLineError(Run("train", "--dataset", "text", "--file", empty, "--out", o), 2, "--file", "is empty");
        AssertOneLineError(Run("train", "--dataset", "text", "--file", shortText, "--out", o), 2, "--file", "21 characters", "--context 64", "650");
        AssertOneLineError(Run("train", "--dataset", "text", "--file", shortText, "--context", "2", "--out", o), 2, "--context 2", "30");
        AssertOneLineError(Run("train", "--dataset", "text", "--file", latin1, "--out", o), 2, "not UTF-8", "offset 3");
        AssertOneLineError(Run("train", "--dataset", "text", "--file", dir, "--out", o), 2, "--file", "folder");
        AssertOneLineError(Run("train", "--dataset", "text", "--model", "transformer", "--embedding", "30", "--out", o), 2, "--heads 4", "--embedding 30");
        AssertOneLineError(Run("train", "--dataset", "text", "--heads", "2", "--out", o), 2, "--heads", "transformer");
        AssertOneLineError(Run("train", "--dataset", "text", "--model", "cnn", "--out", o), 2, "--model cnn", "lstm or transformer");
        AssertOneLineError(Run("train", "--dataset", "text", "--layers", "32", "--out", o), 2, "--layers", "not used");
        AssertOneLineError(Run("train", "--dataset", "iris", "--context", "8", "--out", o), 2, "--context", "--dataset text");
        AssertOneLineError(Run("train", "--model", "lstm", "--out", o), 2, "--model lstm", "--dataset text");
        AssertOneLineError(Run("train", "--dataset", "text", "--dropout", "1", "--out", o), 2, "--dropout");
        Assert.False(Directory.Exists(o));
    }

    [Fact]
    public void BadGenerateInput_IsOneLine_Exit2()
    {
        var run = Trained("errors", epochs: 1);
        AssertOneLineError(Run("generate", "--model", run, "--prompt", "café"), 2, "--prompt", "'é'", "character 4", "vocabulary");
        AssertOneLineError(Run("generate", "--model", run, "--prompt", ""), 2, "--prompt", "empty");
        AssertOneLineError(Run("generate", "--model", run, "--temperature", "0"), 2, "--temperature");
        AssertOneLineError(Run("generate", "--model", run, "--temperature", "-1"), 2, "--temperature");
        AssertOneLineError(Run("generate", "--model", run, "--temperature", "NaN"), 2, "--temperature");
        AssertOneLineError(Run("generate", "--model", run, "--top-k", "0"), 2, "--top-k");
        AssertOneLineError(Run("generate", "--model", run, "--top-k", "59"), 2, "--top-k 59", "58 characters");
        AssertOneLineError(Run("generate", "--model", run, "--length", "-1"), 2, "--length");
        AssertOneLineError(Run("generate", "--prompt", "a"), 2, "--model");
        AssertOneLineError(Run("eval", "--model", run), 2, "language model", "generate");
        AssertOneLineError(Run("export", "--model", run, "--format", "onnx"), 2, "language model", "generate");

        var classifier = Path.Combine(dir, "iris");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--epochs", "1", "--out", classifier).Code);
        AssertOneLineError(Run("generate", "--model", classifier), 2, "classifier", "--dataset text");
        AssertOneLineError(Run("generate", "--model", Path.Combine(dir, "nothing")), 1, "model.json", "not found");
    }
}
