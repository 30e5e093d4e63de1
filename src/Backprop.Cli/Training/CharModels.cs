using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// A character-level language model: maps a batch of character indices [N, T] to next-character logits. <see cref="Module.Forward"/>
/// returns them as [N, V, T] (classes in dim 1, as <c>CrossEntropyLoss</c> takes a sequence), so the trainer's loss and accuracy
/// work on [N, T] targets unchanged.
/// </summary>
internal interface ICharModel
{
    /// <summary>The number of characters in the vocabulary (V).</summary>
    int Vocabulary { get; }

    /// <summary>
    /// A sampler that is fed characters one piece at a time and returns the logits [V] for the character after the last one
    /// fed: the LSTM carries its state, the transformer re-reads its last <c>context</c> characters.
    /// </summary>
    ICharSampler StartSampling();
}

/// <summary>Feeds characters to a model in evaluation mode and returns the next character's logits.</summary>
internal interface ICharSampler
{
    /// <summary>Appends <paramref name="ids"/> (at least one) and returns the logits [V] of the next character.</summary>
    double[] Feed(IReadOnlyList<long> ids);
}

/// <summary>Embedding → LSTM (batch-first) → dropout → Linear to the vocabulary (Karpathy's char-rnn, PyTorch's word_language_model).</summary>
internal sealed class CharLstm : Module, ICharModel
{
    private readonly Embedding embedding;
    private readonly Lstm lstm;
    private readonly Dropout dropout;
    private readonly Linear head;

    public CharLstm(int vocabulary, int embed, int hidden, int layers, double dropoutP, long seed)
    {
        var g = new Generator(seed);
        Vocabulary = vocabulary;
        embedding = new Embedding(vocabulary, embed, generator: g);
        lstm = new Lstm(embed, hidden, layers, batchFirst: true, dropout: layers > 1 ? dropoutP : 0, generator: g, dropoutSeed: seed + 1);
        dropout = new Dropout(dropoutP, new Generator(seed + 2));
        head = new Linear(hidden, vocabulary, generator: g);
    }

    public int Vocabulary { get; }

    /// <summary>[N, T] indices → [N, V, T] logits.</summary>
    public override Tensor Forward(Tensor input) => Step(input, null).Logits.Permute(0, 2, 1);

    /// <summary>[N, T] indices and an optional (h, c) state → [N, T, V] logits and the new state.</summary>
    private (Tensor Logits, (Tensor H, Tensor C) State) Step(Tensor input, (Tensor, Tensor)? state)
    {
        var (output, next) = lstm.Forward(embedding.Forward(input), state);
        return (head.Forward(dropout.Forward(output)), next);
    }

    public ICharSampler StartSampling() => new Sampler(this);

    private sealed class Sampler(CharLstm model) : ICharSampler
    {
        private (Tensor, Tensor)? state;

        public double[] Feed(IReadOnlyList<long> ids)
        {
            var (logits, next) = model.Step(Tensor.FromArray(ids.ToArray(), [1, ids.Count]), state);
            state = next;
            return logits.Select(0, 0).Select(0, ids.Count - 1).ToArray();
        }
    }
}

/// <summary>
/// A decoder-only (GPT-style) transformer: token and learned position embeddings (positions up to <c>context</c>), a
/// <see cref="TransformerEncoder"/> of pre-norm (<c>normFirst</c>) GELU layers run with <c>isCausal</c> (position i sees
/// characters 0..i) and a final LayerNorm, then a Linear to the vocabulary.
/// </summary>
internal sealed class CharTransformer : Module, ICharModel
{
    private readonly Embedding tokens;
    private readonly Embedding positions;
    private readonly Dropout dropout;
    private readonly TransformerEncoder encoder;
    private readonly Linear head;

    public CharTransformer(int vocabulary, int context, int embed, int hidden, int layers, int heads, double dropoutP, long seed)
    {
        var g = new Generator(seed);
        Vocabulary = vocabulary;
        Context = context;
        tokens = new Embedding(vocabulary, embed, generator: g);
        positions = new Embedding(context, embed, generator: g);
        dropout = new Dropout(dropoutP, new Generator(seed + 2));
        var layer = new TransformerEncoderLayer(embed, heads, hidden, dropoutP, "gelu", batchFirst: true, normFirst: true, generator: g);
        encoder = new TransformerEncoder(layer, layers, new LayerNorm([embed]));
        head = new Linear(embed, vocabulary, generator: g);
    }

    public int Vocabulary { get; }

    /// <summary>The longest input (the number of learned positions).</summary>
    public int Context { get; }

    /// <summary>[N, T] indices (T ≤ context) → [N, V, T] logits.</summary>
    public override Tensor Forward(Tensor input) => Logits(input).Permute(0, 2, 1);

    private Tensor Logits(Tensor input)
    {
        int t = input.Size(1);
        if (t > Context) throw new ArgumentException($"CharTransformer: input of {t} characters is longer than the {Context} positions the model learned.");
        var h = dropout.Forward(tokens.Forward(input) + positions.Forward(Tensor.Arange(t)));
        return head.Forward(encoder.Forward(h, null, isCausal: true));
    }

    public ICharSampler StartSampling() => new Sampler(this);

    private sealed class Sampler(CharTransformer model) : ICharSampler
    {
        private readonly List<long> history = [];

        public double[] Feed(IReadOnlyList<long> ids)
        {
            history.AddRange(ids);
            int n = Math.Min(history.Count, model.Context);
            var window = history.GetRange(history.Count - n, n).ToArray();
            return model.Logits(Tensor.FromArray(window, [1, n])).Select(0, 0).Select(0, n - 1).ToArray();
        }
    }
}
