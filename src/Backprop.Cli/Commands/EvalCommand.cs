using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Output;
using Backprop.Cli.Training;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop eval</c> and <c>backprop predict</c>: use a model folder written by <c>train</c>.</summary>
internal static class EvalCommand
{
    public static Command CreateEval(IAnsiConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "folder written by 'backprop train'", Required = true };
        var device = Options.Device();
        var command = new Command("eval", "Evaluate a trained model on its validation data: accuracy, per-class precision/recall, confusion matrix (table and confusion.png).") { model, device };
        command.SetAction(r =>
        {
            var on = Options.UseDevice(r.GetValue(device)!);
            var dir = r.GetValue(model)!;
            var (spec, net) = ModelSpec.Load(dir);
            net.To(on);
            var data = DataSource.Load(spec.Dataset, spec.DataDir, spec.LabelColumn, spec.Seed, (spec.Mean, spec.Std)); // the scaling the model was trained with
            if (data.Classes.Length != spec.Classes.Length)
                throw new InvalidDataException($"{spec.Dataset}: the data has {data.Classes.Length} classes but {Path.Combine(dir, "model.json")} has {spec.Classes.Length}; was the model trained on other data?");
            long[] predicted;
            using (Autograd.NoGrad()) predicted = net.Forward(data.ValX.To(on)).ArgMax(1).ToArray<long>();
            var truth = data.ValY.ToArray<long>();
            int n = spec.Classes.Length;
            var counts = new long[n, n];
            for (int i = 0; i < truth.Length; i++) counts[truth[i], predicted[i]]++;
            double accuracy = truth.Zip(predicted).Count(p => p.First == p.Second) / (double)truth.Length;
            console.MarkupLine($"[bold]{Markup.Escape(spec.Dataset)}[/] validation: {truth.Length} samples, accuracy [bold]{accuracy:P2}[/]");
            var perClass = new Table().Border(TableBorder.Rounded).AddColumns("class", "precision", "recall", "support");
            for (int c = 0; c < n; c++)
            {
                long tp = counts[c, c], predictedC = Enumerable.Range(0, n).Sum(i => counts[i, c]), actualC = Enumerable.Range(0, n).Sum(j => counts[c, j]);
                perClass.AddRow(Markup.Escape(spec.Classes[c]), predictedC == 0 ? "-" : Options.F((double)tp / predictedC), actualC == 0 ? "-" : Options.F((double)tp / actualC), actualC.ToString(CultureInfo.InvariantCulture));
            }
            console.Write(perClass);
            var confusion = new Table().Border(TableBorder.Rounded).Title("confusion matrix (rows: true, columns: predicted)").AddColumn("");
            foreach (var c in spec.Classes) confusion.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned());
            for (int i = 0; i < n; i++)
                confusion.AddRow([Markup.Escape(spec.Classes[i]), .. Enumerable.Range(0, n).Select(j => i == j ? $"[green]{counts[i, j]}[/]" : counts[i, j].ToString(CultureInfo.InvariantCulture))]);
            console.Write(confusion);
            var png = Path.Combine(dir, "confusion.png");
            Charts.Confusion(png + ".tmp", counts, spec.Classes); // written whole, then renamed: the run folder never holds half a file
            File.Move(png + ".tmp", png, overwrite: true);
            console.MarkupLine($"wrote [blue]{Markup.Escape(png)}[/]");
            return App.Ok;
        });
        return command;
    }

    public static Command CreatePredict(IAnsiConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "folder written by 'backprop train'", Required = true };
        var input = new Option<string>("--input", "-i") { Description = "CSV of feature rows (a header is optional; a trailing label column is ignored)", Required = true };
        var device = Options.Device();
        var command = new Command("predict", "Predict the class of each row of a CSV file with a trained model.") { model, input, device };
        command.SetAction(r =>
        {
            var on = Options.UseDevice(r.GetValue(device)!);
            var (spec, net) = ModelSpec.Load(r.GetValue(model)!);
            net.To(on);
            var path = r.GetValue(input)!;
            var x = ReadFeatures(path, spec.Inputs);
            Tensor probabilities;
            using (Autograd.NoGrad()) probabilities = net.Forward(DataSource.Apply(x, spec.Mean, spec.Std).To(on)).Softmax(1);
            var best = probabilities.ArgMax(1).ToArray<long>();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("row", "predicted", "probability");
            for (int i = 0; i < best.Length; i++)
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(spec.Classes[best[i]]), Options.F(probabilities[i, (int)best[i]].Item()));
            console.Write(table);
            return App.Ok;
        });
        return command;
    }

    /// <summary>Reads numeric rows with <paramref name="features"/> columns (or one more, a label, which is dropped); every feature must be finite.</summary>
    private static Tensor ReadFeatures(string path, int features)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input file not found: {path}", path);
        var rows = new List<float[]>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            var values = new float[fields.Length];
            bool numeric = true;
            for (int i = 0; i < fields.Length; i++)
                numeric &= float.TryParse(fields[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]);
            if (!numeric)
            {
                if (rows.Count == 0 && lineNo == 1) continue; // header
                int bad = Array.FindIndex(fields, f => !float.TryParse(f.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                throw new InvalidDataException($"{path}, line {lineNo} (row {rows.Count + 1}), column {bad + 1}: \"{fields[bad].Trim()}\" is not a number");
            }
            int nonFinite = Array.FindIndex(values, v => !float.IsFinite(v));
            if (nonFinite >= 0 && nonFinite < features)
                throw new InvalidDataException($"{path}, line {lineNo} (row {rows.Count + 1}), column {nonFinite + 1}: \"{fields[nonFinite].Trim()}\" is not a finite number (NaN, infinity or beyond ±3.4e38)");
            if (fields.Length != features && fields.Length != features + 1)
                throw new InvalidDataException($"{path}, line {lineNo}: {fields.Length} fields, but the model takes {features} features");
            rows.Add(values[..features]);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows");
        var flat = rows.SelectMany(r => r).ToArray();
        return Tensor.FromArray(flat, [rows.Count, features]);
    }
}
