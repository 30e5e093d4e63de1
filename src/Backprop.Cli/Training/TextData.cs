using System.Globalization;
using System.Text;
using Backprop.Data;

namespace Backprop.Cli.Training;

/// <summary>
/// The data of a character-level language model (<c>train --dataset text</c>): a UTF-8 text, its vocabulary (the distinct
/// characters — Unicode code points — in ordinal order, saved in model.json as the model's classes) and windows of
/// <c>context</c> characters whose targets are the same windows shifted by one (next-character prediction). The first 90 % of
/// the text is for training, the last 10 % for validation, each cut into non-overlapping windows.
/// </summary>
internal static class TextData
{
    /// <summary>The data set's name on the command line.</summary>
    public const string DatasetName = "text";

    /// <summary>The name the embedded text goes by (<see cref="Datasets.Coriolanus"/>) when no <c>--file</c> is given.</summary>
    public const string EmbeddedName = "coriolanus (embedded)";

    /// <summary>One character in ten is held out for validation: the text's last tenth.</summary>
    public const int ValidationShare = 10;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The text of <paramref name="file"/> (strict UTF-8, a leading byte-order mark dropped), or the embedded passage for null.</summary>
    public static string Read(string? file)
    {
        if (file is null) return Datasets.Coriolanus();
        var bytes = File.ReadAllBytes(file);
        string text;
        try { text = StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"--file {file}: not UTF-8 text (invalid byte at offset {e.Index}{(e.BytesUnknown is { Length: > 0 } b ? $", 0x{b[0]:X2}" : "")}); convert it, e.g. iconv -f latin1 -t utf-8", e);
        }
        return text.StartsWith('\uFEFF') ? text[1..] : text;
    }

    /// <summary>
    /// Why <paramref name="file"/> cannot be trained on with windows of <paramref name="context"/> characters, or null: the
    /// validation layer's check (missing, a folder, empty, not UTF-8, too short for a training and a validation window).
    /// </summary>
    public static string? Problem(string? file, int context)
    {
        if (file is not null)
        {
            if (Directory.Exists(file)) return $"--file: {file} is a folder; give a UTF-8 text file";
            if (!File.Exists(file)) return $"--file: {file} not found; give a UTF-8 text file";
            if (new FileInfo(file).Length == 0) return $"--file: {file} is empty; give a UTF-8 text file with at least {MinimumLength(context)} characters";
        }
        string text;
        try { text = Read(file); }
        catch (InvalidDataException e) { return e.Message; }
        catch (IOException e) { return $"--file: {file}: {e.Message}"; }
        catch (UnauthorizedAccessException e) { return $"--file: {file}: {e.Message}"; }
        int length = Symbols(text).Length;
        if (length == 0) return $"--file: {file} holds no characters (only a byte-order mark); give a UTF-8 text file";
        return length < MinimumLength(context)
            ? $"--file: {file ?? EmbeddedName} has {length:N0} characters, too short for --context {context}: the last tenth is held out for validation and must hold one window of {context} + 1 characters, so the text needs at least {MinimumLength(context):N0}; give a longer text or a smaller --context"
            : null;
    }

    /// <summary>The fewest characters a text needs for <paramref name="context"/>: a validation tenth of one window plus its target.</summary>
    public static long MinimumLength(int context) => ValidationShare * ((long)context + 1);

    /// <summary>The text's characters (code points; a surrogate pair is one character).</summary>
    public static string[] Symbols(string text) => [.. text.EnumerateRunes().Select(r => r.ToString())];

    /// <summary>The distinct characters of <paramref name="symbols"/> in ordinal order: index i is class i of the model.</summary>
    public static string[] Vocabulary(IEnumerable<string> symbols) => [.. symbols.Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Loads the text and cuts it into training and validation windows: inputs [N, context] and targets [N, context]
    /// (the inputs shifted by one character), Int64 class indices. With <paramref name="vocabulary"/> (a resumed run's) the
    /// text must use only those characters, at the same indices.
    /// </summary>
    public static SplitData Load(string? file, int context, string[]? vocabulary = null)
    {
        string name = file is null ? EmbeddedName : Path.GetFileName(file);
        var symbols = Symbols(Read(file));
        if (symbols.Length < MinimumLength(context)) throw new InvalidDataException(Problem(file, context) ?? $"{name} is too short");
        var vocab = Vocabulary(symbols);
        if (vocabulary is not null)
        {
            if (vocab.FirstOrDefault(c => !vocabulary.Contains(c)) is string extra)
                throw new InvalidDataException($"{file ?? EmbeddedName}: the text now holds {Show(extra)}, which is not in the run's vocabulary of {vocabulary.Length} characters; the file changed since the run started");
            vocab = vocabulary;
        }
        var index = vocab.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i, StringComparer.Ordinal);
        var ids = symbols.Select(c => index[c]).ToArray();
        int valLength = ids.Length / ValidationShare;
        var (trainX, trainY) = Windows(ids.AsSpan(0, ids.Length - valLength), context);
        var (valX, valY) = Windows(ids.AsSpan(ids.Length - valLength), context);
        return new SplitData(name, trainX, trainY, valX, valY, vocab, [], []);
    }

    /// <summary>Non-overlapping windows: input i is ids[i·T .. i·T+T), its target ids[i·T+1 .. i·T+T].</summary>
    private static (Tensor X, Tensor Y) Windows(ReadOnlySpan<long> ids, int context)
    {
        int count = (ids.Length - 1) / context;
        var x = new long[count * context];
        var y = new long[count * context];
        for (int i = 0; i < count; i++)
        {
            ids.Slice(i * context, context).CopyTo(x.AsSpan(i * context));
            ids.Slice(i * context + 1, context).CopyTo(y.AsSpan(i * context));
        }
        return (Tensor.FromArray(x, [count, context]), Tensor.FromArray(y, [count, context]));
    }

    /// <summary>A character for a message: itself in quotes, or its code point when it is a control or space character.</summary>
    public static string Show(string c) =>
        c.Length > 0 && Rune.GetRuneAt(c, 0) is var r && (Rune.IsControl(r) || Rune.IsWhiteSpace(r))
            ? $"U+{r.Value.ToString("X4", CultureInfo.InvariantCulture)}"
            : $"'{c}'";
}
