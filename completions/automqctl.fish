# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_automqctl_global_optspecs
    string join \n o/output= h/help V/version
end

function __fish_automqctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_automqctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_automqctl_using_subcommand
    set -l cmd (__fish_automqctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c automqctl -n "__fish_automqctl_needs_command" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_needs_command" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_needs_command" -s V -l version -d 'Print version'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "storage" -d 'Check storage locations before a broker uses them'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "completions" -d 'Print a shell completion script (see the README for where each shell loads it from)'
complete -c automqctl -n "__fish_automqctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l role -d 'Roles to check the store for (repeatable): data, wal, meta' -r -f -a "data\t'Holds stream objects: needs put, get, ranged get, list, delete and multipart'
wal\t'Holds the object WAL: needs what data needs; latency decides how fast produce is acknowledged'
meta\t'Holds the metadata log: needs atomic create-if-absent'"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l timeout -d 'How long any one request may take' -r
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l create -d 'Create the bucket or directory when it does not exist'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -l quick -d 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
complete -c automqctl -n "__fish_automqctl_using_subcommand storage; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s o -l output -d 'How to print results' -r -f -a "table\t''
json\t''"
complete -c automqctl -n "__fish_automqctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage completions help" -f -a "storage" -d 'Check storage locations before a broker uses them'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage completions help" -f -a "completions" -d 'Print a shell completion script (see the README for where each shell loads it from)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and not __fish_seen_subcommand_from storage completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c automqctl -n "__fish_automqctl_using_subcommand help; and __fish_seen_subcommand_from storage" -f -a "check" -d 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
