using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Cli.Output;
using Backprop.Cli.Training;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop descend</c>: several optimizers from one starting point on a 1-D or 2-D function, tabulated and drawn.</summary>
internal static partial class DescendCommand
{
    private sealed record Function(string Name, int Dims, Func<Tensor, Tensor> F, double[] Start, double[] Box);

    private static readonly Function[] BuiltIns =
    [
        new("bowl", 2, p => p[0] * p[0] + 4 * p[1] * p[1], [-4, 3], [-5, 5, -4, 4]),
        new("rosenbrock", 2, p => (1 - p[0]) * (1 - p[0]) + 100 * (p[1] - p[0] * p[0]) * (p[1] - p[0] * p[0]), [-1.5, 2], [-2, 2, -1, 3]),
        new("beale", 2, p => Sq(1.5 - p[0] + p[0] * p[1]) + Sq(2.25 - p[0] + p[0] * p[1] * p[1]) + Sq(2.625 - p[0] + p[0] * p[1] * p[1] * p[1]), [1, 1.5], [-1, 4.5, -1.5, 2]),
        new("saddle", 2, p => p[0] * p[0] - p[1] * p[1], [-3, 0.01], [-4, 4, -3, 3]),
    ];

    private static Tensor Sq(Tensor t) => t * t;

    public static Command Create(IAnsiConsole console)
    {
        var function = new Option<string>("--function", "-f") { Description = "bowl | rosenbrock | beale | saddle, or a polynomial in x such as \"3x^2+2x+1\" (the tutorial's example, the default)", DefaultValueFactory = _ => "3x^2+2x+1" };
        var optimizers = new Option<string>("--optimizers") { Description = "comma-separated optimizers", DefaultValueFactory = _ => "sgd,momentum,adagrad,rmsprop,adam" }.Words(TrainOptions.Optimizers);
        var start = new Option<string?>("--start") { Description = "starting point, e.g. -10 or -1.5,2" }.FiniteNumbers();
        var lr = new Option<double>("--lr") { Description = "learning rate for every optimizer", DefaultValueFactory = _ => 0.05 }.Within(0, double.PositiveInfinity, lowOpen: true);
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 100 }.AtLeast(1, 1_000_000);
        var output = Options.Out();
        var command = new Command("descend", "Run several optimizers from one start on a test function and draw their paths (PNG), with the step-by-step values.")
        { function, optimizers, start, lr, steps, output };
        command.SetAction(r =>
        {
            var f = Resolve(r.GetValue(function)!);
            var x0 = r.GetValue(start) is string s ? Options.Doubles(s, "--start") : f.Start;
            if (x0.Length != f.Dims) throw new ArgumentException($"--start: {f.Name} takes {f.Dims} coordinate(s), got {x0.Length}");
            int n = r.GetValue(steps);
            if (n < 1) throw new ArgumentException("--steps must be at least 1");
            var paths = new List<(string Name, double[][] Points)>();
            foreach (var name in Options.Words(r.GetValue(optimizers)!))
            {
                if (!TrainOptions.Optimizers.Contains(name)) throw new ArgumentException($"--optimizers: unknown optimizer '{name}'");
                var p = Tensor.FromArray(x0).RequiresGrad_();
                var opt = new TrainOptions { Optimizer = name, Lr = r.GetValue(lr) }.CreateOptimizer([p]);
                var points = new List<double[]> { p.ToArray() };
                for (int i = 0; i < n; i++)
                {
                    opt.ZeroGrad();
                    f.F(p).Backward();
                    opt.Step();
                    points.Add(p.ToArray());
                }
                paths.Add((name, [.. points]));
            }
            double Value(double[] pt) { using (Autograd.NoGrad()) return f.F(Tensor.FromArray(pt)).Item(); }

            var table = new Table().Border(TableBorder.Rounded).Title($"{Markup.Escape(f.Name)}: f at each step").AddColumn("step");
            foreach (var (name, _) in paths) table.AddColumn(new TableColumn(name).RightAligned());
            foreach (int i in Enumerable.Range(0, Math.Min(n + 1, 11)).Concat(n > 10 ? [n] : []))
                table.AddRow([i.ToString(CultureInfo.InvariantCulture), .. paths.Select(p => $"{Coords(p.Points[i])} → {Options.F(Value(p.Points[i]))}")]);
            console.Write(table);

            var dir = Options.RunFolder(r.GetValue(output));
            Directory.CreateDirectory(dir);
            var png = Path.Combine(dir, "descend.png");
            if (f.Dims == 1)
            {
                double lo = Math.Min(x0[0], paths.Min(p => p.Points.Min(q => q[0]))), hi = Math.Max(x0[0], paths.Max(p => p.Points.Max(q => q[0])));
                double pad = Math.Max(1, 0.1 * (hi - lo));
                Charts.Function1D(png, v => Value([v]), (lo - pad, hi + pad), paths.Select(p => (p.Name, p.Points.Select(q => q[0]).ToArray())).ToList(), $"gradient descent on {f.Name}");
            }
            else
                Charts.Trajectories(png, (a, b) => Value([a, b]), (f.Box[0], f.Box[1], f.Box[2], f.Box[3]),
                    paths.Select(p => (p.Name, p.Points.Select(q => q[0]).ToArray(), p.Points.Select(q => q[1]).ToArray())).ToList(), $"{f.Name}: optimizer paths from ({Coords(x0)})");
            console.MarkupLine($"wrote [blue]{Markup.Escape(png)}[/]");
            return App.Ok;
        });
        return command;
    }

    private static string Coords(double[] p) => string.Join(", ", p.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)));

    private static Function Resolve(string text)
    {
        var builtIn = BuiltIns.FirstOrDefault(b => b.Name == text);
        if (builtIn is not null) return builtIn;
        var terms = ParsePolynomial(text);
        return new Function(text, 1, p =>
        {
            Tensor? sum = null;
            foreach (var (c, k) in terms)
            {
                var term = k == 0 ? Tensor.OnesLike(p) * c : p.Pow(k) * c;
                sum = sum is null ? term : sum + term;
            }
            return sum!.Sum();
        }, [-10], []);
    }

    /// <summary>Parses "3x^2+2x+1"-style polynomials into (coefficient, power) terms.</summary>
    internal static List<(double Coefficient, int Power)> ParsePolynomial(string text)
    {
        var s = text.Replace(" ", "", StringComparison.Ordinal).Replace("*", "", StringComparison.Ordinal).Replace("-", "+-", StringComparison.Ordinal);
        var terms = new List<(double, int)>();
        foreach (var raw in s.Split('+', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = Term().Match(raw);
            if (!m.Success)
                throw new ArgumentException($"--function: cannot read '{raw}' in \"{text}\"; use bowl, rosenbrock, beale, saddle or a polynomial in x such as 3x^2+2x+1");
            string coef = m.Groups[1].Value;
            double c = coef is "" or "+" ? 1 : coef == "-" ? -1 : double.Parse(coef, CultureInfo.InvariantCulture);
            int power = m.Groups[2].Success ? (m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 1) : 0;
            terms.Add((c, power));
        }
        if (terms.Count == 0) throw new ArgumentException($"--function: \"{text}\" is empty");
        return terms;
    }

    [GeneratedRegex(@"^([+-]?\d*\.?\d*)(x(?:\^(\d+))?)?$")]
    private static partial Regex Term();
}
