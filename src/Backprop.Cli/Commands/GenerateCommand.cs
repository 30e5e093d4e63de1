using System.CommandLine;
using System.Text;
using Backprop.Cli.Training;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop generate</c>: samples text from a character-level language model written by <c>train --dataset text</c>,
/// seeded, and prints the prompt followed by the generated characters.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = new Option<string>("--model") { Description = "a run folder written by 'backprop train --dataset text'", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "the text to continue; every character must be in the model's vocabulary (default: a newline)" };
        var length = new Option<int>("--length", "-n") { Description = "characters to generate after the prompt", DefaultValueFactory = _ => 200 }.AtLeast(0, 1_000_000);
        var temperature = new Option<double>("--temperature") { Description = "softmax temperature: below 1 more likely characters, above 1 more varied", DefaultValueFactory = _ => 1.0 }
            .Within(0, 100, lowOpen: true);
        var topK = new Option<int?>("--top-k") { Description = "sample only among the K most likely characters (default: all)" }.AtLeast(1);
        var seed = Options.Seed(); var threads = Options.Threads();
        seed.Description = "seed of the sampling: the same seed, model and options give the same text";
        var command = new Command("generate", "Sample text from a character-level language model (a run of 'backprop train --dataset text').")
        {
            model, prompt, length, temperature, topK, seed, threads,
        };
        command.SetAction(r =>
        {
            Options.ApplyThreads(r.GetValue(threads), r.InvocationConfiguration.Error);
            string dir = r.GetValue(model)!;
            var (spec, net) = ModelSpec.Load(dir, languageModel: true);
            var vocabulary = spec.Classes;
            if (r.GetValue(topK) is int k && k > vocabulary.Length)
                throw new UsageException($"--top-k {k}: the model in {dir} knows {vocabulary.Length} characters; give at most {vocabulary.Length} (or leave --top-k out to sample among all)");
            string text = r.GetValue(prompt) ?? (vocabulary.Contains("\n") ? "\n"
                : throw new UsageException($"--prompt: the model in {dir} has no newline in its vocabulary to start from; give a --prompt"));
            var ids = PromptIds(text, vocabulary, dir);
            var generated = TextSampling.Continue((ICharModel)net, ids, r.GetValue(length), r.GetValue(temperature), r.GetValue(topK), r.GetValue(seed));
            var output = new StringBuilder(text);
            foreach (var i in generated) output.Append(vocabulary[i]);
            console.Profile.Out.Writer.WriteLine(output.ToString());
            return App.Ok;
        });
        return command;
    }

    /// <summary>The prompt's characters as vocabulary indices; a character the model never saw is a usage error naming it.</summary>
    private static long[] PromptIds(string prompt, string[] vocabulary, string dir)
    {
        if (prompt.Length == 0) throw new UsageException("--prompt: empty; give at least one character (or leave --prompt out to start from a newline)");
        var index = vocabulary.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i, StringComparer.Ordinal);
        var symbols = TextData.Symbols(prompt);
        var ids = new long[symbols.Length];
        for (int i = 0; i < symbols.Length; i++)
            ids[i] = index.TryGetValue(symbols[i], out var id) ? id
                : throw new UsageException($"--prompt: {TextData.Show(symbols[i])} (character {i + 1}) is not in the vocabulary of the model in {dir} ({vocabulary.Length} characters from its training text)");
        return ids;
    }
}
