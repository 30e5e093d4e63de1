using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Output;
using Backprop.Cli.Training;
using Backprop.NN;
using Backprop.Optim;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop gradients</c>: the vanishing-gradient argument measured — a deep, narrow MLP trained a few steps with
/// sigmoid and again with ReLU, with the gradient norm of every layer's weights.
/// </summary>
internal static class GradientsCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var depth = new Option<int>("--depth") { Description = "hidden layers", DefaultValueFactory = _ => 10 }.AtLeast(1, 1000);
        var width = new Option<int>("--width") { Description = "units per hidden layer", DefaultValueFactory = _ => 16 }.AtLeast(1, 100_000);
        var steps = new Option<int>("--steps") { Description = "SGD steps before measuring (the norms are averaged over them)", DefaultValueFactory = _ => 5 }.AtLeast(1, 1_000_000);
        var seed = Options.Seed(); var output = Options.Out();
        var command = new Command("gradients", "Plot per-layer gradient norms of a deep narrow MLP with sigmoid versus ReLU (vanishing gradients).") { depth, width, steps, seed, output };
        command.SetAction(r =>
        {
            int d = r.GetValue(depth), w = r.GetValue(width), n = r.GetValue(steps);
            if (d < 1 || w < 1 || n < 1) throw new ArgumentException("--depth, --width and --steps must be at least 1");
            var data = DataSource.Load("digits", null, "-1", r.GetValue(seed));
            var x = data.TrainX.Narrow(0, 0, 256); var y = data.TrainY.Narrow(0, 0, 256);
            var series = new List<(string, double[])>();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("layer", "sigmoid ‖∂L/∂W‖", "relu ‖∂L/∂W‖");
            foreach (var act in new[] { "sigmoid", "relu" })
            {
                var model = Mlp.Build(data.Features, Enumerable.Repeat(w, d).ToArray(), data.Classes.Length, act, r.GetValue(seed));
                var linears = Enumerable.Range(0, model.Count).Select(i => model[i]).OfType<Linear>().ToArray();
                var opt = new Sgd(model.Parameters(), lr: 0.1);
                var norms = new double[linears.Length];
                for (int s = 0; s < n; s++)
                {
                    opt.ZeroGrad();
                    Functional.CrossEntropy(model.Forward(x), y).Backward();
                    for (int l = 0; l < linears.Length; l++) norms[l] += Math.Sqrt(linears[l].Weight.Grad!.Pow(2).Sum().Item()) / n;
                    opt.Step();
                }
                series.Add((act, norms));
            }
            for (int l = 0; l < series[0].Item2.Length; l++)
                table.AddRow((l + 1).ToString(CultureInfo.InvariantCulture), series[0].Item2[l].ToString("E2", CultureInfo.InvariantCulture), series[1].Item2[l].ToString("E2", CultureInfo.InvariantCulture));
            console.Write(table);
            double ratioSig = series[0].Item2[0] / series[0].Item2[^1], ratioRelu = series[1].Item2[0] / series[1].Item2[^1];
            console.MarkupLine($"first-layer / last-layer gradient norm: sigmoid {ratioSig:E2}, relu {ratioRelu:E2}");
            var dir = Options.RunFolder(r.GetValue(output));
            Directory.CreateDirectory(dir);
            var png = Path.Combine(dir, "gradients.png");
            Charts.Lines(png, series, "layer (1 = nearest the input)", "‖∂L/∂W‖", $"Gradient norm per layer, {d} hidden layers of {w}", logY: true);
            console.MarkupLine($"wrote [blue]{Markup.Escape(png)}[/]");
            return App.Ok;
        });
        return command;
    }
}
