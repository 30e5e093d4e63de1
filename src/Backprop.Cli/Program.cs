return Backprop.Cli.App.Run(args);
